/**
 * All of a user's access state on the user's one DynamoDB item (layout: ./table-schema.ts), so
 * each call checks and records it with ONE conditional UpdateItem: "this token not revoked or
 * ended, the user's cut-off not after its `iat`, under the rate limit, within the sharing limits,
 * a stream slot free" → count the call, record the network, the slot and the grants. The
 * condition makes the limits exact under parallel calls, and a revocation and the grants it must
 * deny are always in the same item image (the deny-list replicator reads nothing else).
 *
 * A call that records nothing but its count (licence, an admin's own check) needs no condition:
 * it counts unconditionally and judges the item the write returns, which is as exact, and far
 * cheaper for a store that parses every condition.
 *
 * A refused write answers the item as it stood (DynamoDB returns it with the refusal; dynalite
 * costs a read), which says why. Only then is there a second write: the stream slots rewritten
 * under a version check (the set was full of expired slots, or evict-oldest ends a session), the
 * `alert` sharing action recording a suspected presentation, or a retry when the item changed in
 * between. Every failure or timeout is StoreUnavailable (fail closed).
 *
 * This class only composes and sends: the expressions are ./state-expressions.ts, the verdicts
 * ./state-verdicts.ts, and the dead weight a second write prunes (only when that lowers the
 * item's billed size) ./item-hygiene.ts.
 */
import { UpdateItemCommand, type ReturnValue, type UpdateItemCommandOutput } from '@aws-sdk/client-dynamodb';
import type {
  AccessLimits,
  AccessState,
  CallerCall,
  CallerVerdict,
  LicenceCall,
  LicenceVerdict,
  LogoutCall,
  LogoutVerdict,
  PlaybackCall,
  PlaybackVerdict,
  UserRef,
} from '../core/access-state';
import type { UserState } from '../core/user-state';
import { StoreContention } from '../core/errors';
import { numberOf, type DynamoCaller, type Item, type WriteOutcome } from './dynamo-call';
import { closedRentalsPlan, type HygieneObserver, prunePlan } from './item-hygiene';
import { userStateOf } from './user-state-reader';
import {
  countWrite,
  FIRST_PLAYBACK_ATTEMPT,
  logoutWrite,
  playbackWrite,
  pruneWrite,
  revokeSessionWrite,
  liftCutoffWrite,
  revokeUserWrite,
  streamLimit,
  type PrunePlan,
  type UpdateSpec,
} from './state-expressions';
import {
  admittedPlayback,
  callerRefusal,
  callerVerdict,
  licenceVerdict,
  loggedOut,
  refusedLogout,
  refusedPlayback,
} from './state-verdicts';
import { STATE_TABLE, USER_ATTRIBUTES, userKey } from './table-schema';

/** Rounds of (write, learn why it was refused) before a call gives up under contention. */
const ATTEMPTS = 4;

export class AccessStateStore implements AccessState {
  constructor(
    private readonly dynamo: DynamoCaller,
    readonly limits: AccessLimits,
    /** Told of every hygiene write that failed (lambda/store/item-hygiene.ts `loggedAndCounted`). */
    private readonly hygiene: HygieneObserver,
  ) {}

  async authorize(call: PlaybackCall): Promise<PlaybackVerdict> {
    const key = userKey(call.user);
    const records =
      (call.counted && this.limits.rateLimit > 0) ||
      this.limits.sharing.maxNetworks > 0 ||
      streamLimit(call, this.limits) > 0 ||
      (call.grants !== undefined && call.grants.length > 0) ||
      call.sessionStart !== undefined ||
      call.rental !== undefined;
    // Nothing to record: a read is enough (and cheaper than a write).
    if (!records) return callerRefusal(await this.dynamo.get(key), call, this.limits) ?? { outcome: 'admitted' };
    let attempt = FIRST_PLAYBACK_ATTEMPT;
    for (let round = 0; round < ATTEMPTS; round += 1) {
      const outcome = await this.write(key, playbackWrite(call, this.limits, attempt), 'ALL_NEW');
      if (outcome.kind === 'written') {
        await this.pruneIfWorthIt(key, outcome.output.Attributes, call.nowSeconds);
        return admittedPlayback(attempt);
      }
      const step = refusedPlayback(outcome.item, call, this.limits, attempt);
      if (step.kind === 'verdict') return step.verdict;
      if (step.kind === 'prune-rentals') await this.prune(key, closedRentalsPlan(outcome.item, call.nowSeconds));
      attempt = step.attempt;
    }
    throw new StoreContention();
  }

  async admit(call: CallerCall): Promise<CallerVerdict> {
    const { item, counted } = await this.callerItem(call);
    return callerVerdict(item, call, this.limits, counted);
  }

  async licence(call: LicenceCall): Promise<LicenceVerdict> {
    const { item, counted } = await this.callerItem(call);
    return licenceVerdict(item, call, this.limits, counted);
  }

  /**
   * The item the caller's check is judged on, and whether it holds this call's count. With a rate
   * limit: count first, then judge the item as the count left it (no condition to evaluate, and the
   * answer as exact as a condition's: each write sees its own count, and any revocation written
   * before it; a refused call is counted too, which a limit on attempts wants anyway). Otherwise
   * nothing is recorded, and a read is enough (and cheaper than a write).
   */
  private async callerItem(call: CallerCall): Promise<{ item: Item | undefined; counted: boolean }> {
    const key = userKey(call.user);
    if (!(call.counted && this.limits.rateLimit > 0)) return { item: await this.dynamo.get(key), counted: false };
    const output = await this.dynamo.send((client, options) =>
      client.send(this.command(key, countWrite(call, this.limits), 'ALL_NEW'), options),
    );
    return { item: output.Attributes, counted: true };
  }

  async logout(call: LogoutCall): Promise<LogoutVerdict> {
    const key = userKey(call.user);
    for (let round = 0; round < ATTEMPTS; round += 1) {
      const outcome = await this.write(key, logoutWrite(call, this.limits), 'ALL_OLD');
      if (outcome.kind === 'written') return loggedOut(outcome.output.Attributes, call.session);
      const verdict = refusedLogout(outcome.item, call, this.limits);
      if (verdict !== undefined) return verdict;
    }
    throw new StoreContention();
  }

  async revokeSession(
    user: UserRef,
    session: string,
    nowSeconds: number,
    revokeUntil: number,
    keepUntil: number,
  ): Promise<boolean> {
    const spec = revokeSessionWrite(session, nowSeconds, revokeUntil, keepUntil);
    // Refused: the session is marked already.
    return (await this.write(userKey(user), spec, undefined, false)).kind === 'written';
  }

  async revokeUser(user: UserRef, before: number, nowSeconds: number, keepUntil: number): Promise<void> {
    // Refused: a cut-off as late or later is already in place; nothing to do.
    await this.write(userKey(user), revokeUserWrite(before, nowSeconds, keepUntil), undefined, false);
  }

  async userState(user: UserRef, nowSeconds: number): Promise<UserState> {
    return userStateOf(await this.dynamo.get(userKey(user)), nowSeconds, this.limits.rateWindowSeconds);
  }

  /**
   * Removes the cut-off (a write that revokes nothing: the deny-list replicator ignores it, and
   * entries it made for the cut-off run out with their grants). Only on an existing item, so a
   * lift never creates one. Answers the cut-off removed.
   */
  async liftCutoff(user: UserRef, keepUntil: number): Promise<number | undefined> {
    const outcome = await this.write(userKey(user), liftCutoffWrite(keepUntil), 'ALL_OLD', false);
    return outcome.kind === 'written' ? numberOf(outcome.output.Attributes, USER_ATTRIBUTES.revokedBefore) : undefined;
  }

  /**
   * One conditional UpdateItem of the user's item. Refused, the outcome carries the item as it
   * stood (read back if the server did not return it, unless `readBack` is false).
   */
  private write(
    key: string,
    spec: UpdateSpec,
    returnValues: ReturnValue | undefined,
    readBack = true,
  ): Promise<WriteOutcome<UpdateItemCommandOutput>> {
    return this.dynamo.conditional(
      (client, options) => client.send(this.command(key, spec, returnValues), options),
      readBack ? key : undefined,
    );
  }

  private command(key: string, spec: UpdateSpec, returnValues?: ReturnValue): UpdateItemCommand {
    return new UpdateItemCommand({
      TableName: this.dynamo.tableName,
      Key: { [STATE_TABLE.partitionKey]: { S: key } },
      ...spec,
      ...(returnValues !== undefined ? { ReturnValues: returnValues } : {}),
    });
  }

  /**
   * A second write that removes the item's dead weight, when that lowers its billed size. The
   * call's own write already succeeded: a failure here is reported, never the call's.
   */
  private async pruneIfWorthIt(key: string, item: Item | undefined, nowSeconds: number): Promise<void> {
    const plan = prunePlan(item, nowSeconds, this.limits);
    if (plan !== undefined) await this.prune(key, plan);
  }

  private async prune(key: string, plan: PrunePlan): Promise<void> {
    try {
      await this.dynamo.send((client, options) => client.send(this.command(key, pruneWrite(plan)), options));
    } catch (error) {
      // send throws only StoreUnavailable, the SDK error its cause.
      this.hygiene.pruneFailed(plan, error as Error);
    }
  }
}
