/**
 * Per-user state in DynamoDB, all on the user's one item so that a call checks and records it
 * with ONE conditional write: the revocation cut-off ("no token issued before"), the per-user
 * rate limit (a counter per fixed window) and the concurrent-stream limit (a set of session ids,
 * each with its own expiry attribute). The condition makes the limits exact under parallel calls;
 * a user's first calls need no item to exist, so parallel first calls never race to create one.
 * Only when the stream set is full (perhaps of expired sessions) is it read, pruned and written
 * back under a version check. Every failure or timeout is StoreUnavailable (fail closed).
 */
import { UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { numberOf, type DynamoCaller, type Item } from './dynamo-call';
import type { UserCall, UserLimits, UserVerdict } from '../core/access-state';
import { StoreContention } from '../core/errors';
import {
  rateAttribute,
  STATE_TABLE,
  sessionExpiryAttribute,
  USER_ATTRIBUTES,
  userKey,
  type UserRef,
} from './table-schema';

const { partitionKey: PK, ttlAttribute: TTL } = STATE_TABLE;
const { revokedBefore: BEFORE, sessions: SESSIONS, version: VERSION } = USER_ATTRIBUTES;
/** Rounds of (write, read why it was refused) before a call gives up under contention. */
const ATTEMPTS = 4;
const NOTHING_TO_UNDO = async (): Promise<void> => undefined;

export class UserStateStore {
  constructor(
    private readonly dynamo: DynamoCaller,
    readonly limits: UserLimits,
  ) {}

  async check(call: UserCall): Promise<UserVerdict> {
    const key = userKey(call.user);
    const window = this.window(call.nowSeconds);
    // Without a stream limit there are no slots to take or free.
    const session = this.limits.maxStreams > 0 ? call.session : undefined;
    const release = this.limits.maxStreams > 0 ? call.release : undefined;
    if (!(call.counted && this.limits.rateLimit > 0) && session === undefined && release === undefined) {
      // Nothing to record: a read is enough (and cheaper than a write).
      const item = await this.dynamo.get(key);
      return revokedFor(item, call.iat) ? { outcome: 'revoked' } : { outcome: 'admitted', undo: NOTHING_TO_UNDO };
    }
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      const outcome = await this.dynamo.attempt(
        (client, options) => client.send(this.update(key, { ...call, session, release }, window), options),
        key,
      );
      if (outcome.written) {
        const previous =
          session === undefined ? undefined : numberOf(outcome.output.Attributes, sessionExpiryAttribute(session.id));
        return {
          outcome: 'admitted',
          undo: session === undefined ? NOTHING_TO_UNDO : () => this.restore(key, session.id, previous),
        };
      }
      const item = outcome.item;
      if (revokedFor(item, call.iat)) return { outcome: 'revoked' };
      if (
        call.counted &&
        this.limits.rateLimit > 0 &&
        (numberOf(item, rateAttribute(window.start)) ?? 0) >= this.limits.rateLimit
      ) {
        return { outcome: 'rate-limited', retryAfterSeconds: window.retryAfterSeconds };
      }
      if (session !== undefined && this.full(item, session.id)) {
        const active = activeSessions(item, call.nowSeconds);
        if (active.length >= this.limits.maxStreams && this.limits.streamLimitPolicy === 'evict-oldest') {
          // The session refreshed longest ago gives way (for playing sessions, the one that started first).
          const evict = oldestSession(item, active);
          return {
            outcome: 'evict',
            evict,
            admit: async () => {
              const kept = active.filter((stored) => stored !== evict);
              if (!(await this.prune(key, call, window, item, kept))) throw new StoreContention();
              return { outcome: 'admitted', undo: () => this.restore(key, session.id, undefined) };
            },
          };
        }
        if (active.length >= this.limits.maxStreams) return { outcome: 'streams-full' };
        // Room once the expired sessions are dropped: rewrite the set if nobody wrote in between.
        if (await this.prune(key, call, window, item, active))
          return { outcome: 'admitted', undo: () => this.restore(key, session.id, undefined) };
      }
      // Refused for a reason the item no longer shows: it changed in between; try again.
    }
    throw new StoreContention();
  }

  /** Revokes every token of `user` issued before `before` (epoch s). Idempotent; keeps the later cut-off. */
  async revoke(user: UserRef, before: number, keepUntil: number): Promise<void> {
    const update = new UpdateItemCommand({
      TableName: this.dynamo.tableName,
      Key: { [PK]: { S: userKey(user) } },
      UpdateExpression: 'SET #b = :b, #t = :t ADD #v :one',
      ConditionExpression: 'attribute_not_exists(#b) OR #b < :b',
      ExpressionAttributeNames: { '#b': BEFORE, '#t': TTL, '#v': VERSION },
      ExpressionAttributeValues: { ':b': { N: String(before) }, ':t': { N: String(keepUntil) }, ':one': { N: '1' } },
    });
    await this.dynamo.sendConditional((client, options) => client.send(update, options));
  }

  private window(nowSeconds: number): { start: number; retryAfterSeconds: number } {
    const size = this.limits.rateWindowSeconds;
    const start = nowSeconds - (nowSeconds % size);
    return { start, retryAfterSeconds: Math.max(1, start + size - nowSeconds) };
  }

  /** Whether `session` would be one too many in the stored set (expired entries included). */
  private full(item: Item | undefined, session: string): boolean {
    const sessions = item?.[SESSIONS]?.SS ?? [];
    return !sessions.includes(session) && sessions.length >= this.limits.maxStreams;
  }

  /** The one conditional write of a call: check cut-off, rate and slot; record the hit and the slot. */
  private update(key: string, call: UserCall, window: { start: number }): UpdateItemCommand {
    const expression = new Expression(call, this.limits, window.start);
    if (call.session !== undefined) {
      const { id, until } = call.session;
      expression.names['#ss'] = SESSIONS;
      expression.names['#e'] = sessionExpiryAttribute(id);
      expression.values[':sset'] = { SS: [id] };
      expression.values[':sid'] = { S: id };
      expression.values[':until'] = { N: String(until) };
      expression.values[':max'] = { N: String(this.limits.maxStreams) };
      expression.adds.push('#ss :sset');
      expression.sets.push('#e = :until');
      expression.conditions.push('(attribute_not_exists(#ss) OR contains(#ss, :sid) OR size(#ss) < :max)');
    }
    if (call.release !== undefined) {
      expression.names['#ss'] = SESSIONS;
      expression.names['#er'] = sessionExpiryAttribute(call.release);
      expression.values[':rset'] = { SS: [call.release] };
      expression.deletes.push('#ss :rset');
      expression.removes.push('#er');
    }
    return new UpdateItemCommand({
      TableName: this.dynamo.tableName,
      Key: { [PK]: { S: key } },
      ...expression.render(),
      ReturnValues: 'UPDATED_OLD',
    });
  }

  /** Replaces the session set with the active sessions plus this one, if the item is still at `item`'s version. */
  private async prune(
    key: string,
    call: UserCall,
    window: { start: number },
    item: Item | undefined,
    active: string[],
  ): Promise<boolean> {
    const session = call.session as { id: string; until: number };
    const expression = new Expression(call, this.limits, window.start);
    const version = numberOf(item, VERSION);
    expression.names['#ss'] = SESSIONS;
    expression.names['#e'] = sessionExpiryAttribute(session.id);
    expression.values[':sessions'] = { SS: [...active, session.id] };
    expression.values[':until'] = { N: String(session.until) };
    expression.sets.push('#ss = :sessions', '#e = :until');
    (item?.[SESSIONS]?.SS ?? [])
      .filter((stored) => !active.includes(stored))
      .forEach((expired, index) => {
        expression.names[`#x${index}`] = sessionExpiryAttribute(expired);
        expression.removes.push(`#x${index}`);
      });
    if (version === undefined) {
      expression.conditions.push('attribute_not_exists(#v)');
    } else {
      expression.values[':version'] = { N: String(version) };
      expression.conditions.push('#v = :version');
    }
    const update = new UpdateItemCommand({
      TableName: this.dynamo.tableName,
      Key: { [PK]: { S: key } },
      ...expression.render(),
    });
    return this.dynamo.sendConditional((client, options) => client.send(update, options));
  }

  /** Puts the slot of `session` back to `previous` (removing it when undefined): a later check refused the call. */
  private async restore(key: string, session: string, previous: number | undefined): Promise<void> {
    const names = { '#ss': SESSIONS, '#e': sessionExpiryAttribute(session), '#v': VERSION };
    const update = new UpdateItemCommand({
      TableName: this.dynamo.tableName,
      Key: { [PK]: { S: key } },
      UpdateExpression:
        previous === undefined ? 'DELETE #ss :sset REMOVE #e ADD #v :one' : 'SET #e = :previous ADD #v :one',
      ExpressionAttributeNames: previous === undefined ? names : { '#e': names['#e'], '#v': VERSION },
      ExpressionAttributeValues:
        previous === undefined
          ? { ':sset': { SS: [session] }, ':one': { N: '1' } }
          : { ':previous': { N: String(previous) }, ':one': { N: '1' } },
    });
    await this.dynamo.send((client, options) => client.send(update, options));
  }
}

/** The parts every user write shares: the cut-off check, the version bump, the expiry and the rate counter. */
class Expression {
  readonly names: Record<string, string> = { '#b': BEFORE, '#v': VERSION, '#t': TTL };
  readonly values: Record<string, AttributeValue>;
  readonly sets = ['#t = :t'];
  readonly adds = ['#v :one'];
  readonly deletes: string[] = [];
  readonly removes: string[] = [];
  readonly conditions = ['(attribute_not_exists(#b) OR #b <= :iat)'];

  constructor(call: UserCall, limits: UserLimits, windowStart: number) {
    this.values = { ':iat': { N: String(call.iat) }, ':t': { N: String(call.keepUntil) }, ':one': { N: '1' } };
    if (call.counted && limits.rateLimit > 0) {
      this.names['#rw'] = rateAttribute(windowStart);
      this.names['#rp'] = rateAttribute(windowStart - limits.rateWindowSeconds);
      this.values[':zero'] = { N: '0' };
      this.values[':limit'] = { N: String(limits.rateLimit) };
      this.sets.push('#rw = if_not_exists(#rw, :zero) + :one');
      // The previous window's counter is dead weight from now on.
      this.removes.push('#rp');
      this.conditions.push('(attribute_not_exists(#rw) OR #rw < :limit)');
    }
  }

  render(): {
    UpdateExpression: string;
    ConditionExpression: string;
    ExpressionAttributeNames: Record<string, string>;
    ExpressionAttributeValues: Record<string, AttributeValue>;
  } {
    const clauses = [
      `SET ${this.sets.join(', ')}`,
      `ADD ${this.adds.join(', ')}`,
      ...(this.deletes.length > 0 ? [`DELETE ${this.deletes.join(', ')}`] : []),
      ...(this.removes.length > 0 ? [`REMOVE ${this.removes.join(', ')}`] : []),
    ];
    return {
      UpdateExpression: clauses.join(' '),
      ConditionExpression: this.conditions.join(' AND '),
      ExpressionAttributeNames: this.names,
      ExpressionAttributeValues: this.values,
    };
  }
}

function revokedFor(item: Item | undefined, iat: number): boolean {
  const before = numberOf(item, BEFORE);
  return item?.[BEFORE] !== undefined && (before === undefined || iat < before);
}

/** Of `sessions`, the one whose slot runs out first: refreshed longest ago. */
function oldestSession(item: Item | undefined, sessions: string[]): string {
  const until = (session: string) => numberOf(item, sessionExpiryAttribute(session)) ?? 0;
  return sessions.reduce((oldest, session) => (until(session) < until(oldest) ? session : oldest));
}

/** The stored sessions whose slot has not expired. */
function activeSessions(item: Item | undefined, nowSeconds: number): string[] {
  return (item?.[SESSIONS]?.SS ?? []).filter(
    (session) => (numberOf(item, sessionExpiryAttribute(session)) ?? 0) > nowSeconds,
  );
}
