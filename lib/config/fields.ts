/**
 * The deploy config's field kinds, as zod schemas whose messages say what is wrong with the
 * value ("is required", "must be between 1 and 10, got 0", ...); the issue's path names the field.
 * Each concern's schema (lib/config/*.ts) is built from these, one declaration per field.
 */
import { z } from 'zod';
import { type IntegerSetting, jwksUrlProblem, type TextSetting } from '../../lambda/core/settings-contract';

/** A lower-case DNS host name, at least one dot. */
export const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** A value as the messages quote it. */
export function describe(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : (JSON.stringify(value) ?? String(value));
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The type check's message: "is required" for a missing value, else `wrong(value)`. */
const typeError = (wrong: (input: unknown) => string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : wrong(issue.input)),
});

/** A whole number from `min` to `max`. */
export function integer(min: number, max: number) {
  const range = {
    error: (issue: { input?: unknown }) => `must be between ${min} and ${max}, got ${String(issue.input)}`,
  };
  return z
    .number(typeError((input) => `must be a whole number, got ${describe(input)}`))
    .int({ error: (issue) => `must be a whole number, got ${describe(issue.input)}`, abort: true })
    .min(min, range)
    .max(max, range);
}

/** A setting declared in lambda/core/settings-contract.ts: its range, and its default when absent. */
export function setting({ min, max, fallback }: IntegerSetting) {
  return integer(min, max).default(fallback);
}

/** A text setting declared in lambda/core/settings-contract.ts. */
export function textSetting({ pattern, what }: TextSetting) {
  return text(pattern, what);
}

/**
 * Where the functions fetch the IdP's keys: the functions' own rule (https, plain http only on a
 * loopback host, which only local mode reaches). An empty string passes, as for httpsUrl.
 */
export function jwksUrl() {
  return z.string(typeError((input) => `must be a string, got ${describe(input)}`)).superRefine((value, ctx) => {
    const problem = value === '' ? undefined : jwksUrlProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `${problem}, got "${value}"`, input: value });
  });
}

/** Any finite number (the caller checks ranges). */
export function number() {
  return z.number(typeError((input) => `must be a number, got ${describe(input)}`));
}

export function flag() {
  return z.boolean(typeError((input) => `must be true or false, got ${describe(input)}`));
}

/** A string matching `pattern`, described as `what` ("a 12-digit AWS account id"). */
export function text(pattern: RegExp, what: string) {
  return z
    .string(typeError((input) => `must be a string, got ${describe(input)}`))
    .regex(pattern, { error: (issue) => `must be ${what}, got ${describe(issue.input)}` });
}

/** An https URL without credentials (an empty string passes: it reaches the functions as unset). */
export function httpsUrl() {
  return z.string(typeError((input) => `must be a string, got ${describe(input)}`)).superRefine((value, ctx) => {
    if (value === '') return;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: `must be an https URL, got "${value}"`, input: value });
      return;
    }
    if (url.protocol !== 'https:' || url.username !== '' || url.password !== '') {
      ctx.addIssue({
        code: 'custom',
        message: `must be an https URL without credentials, got "${value}"`,
        input: value,
      });
    }
  });
}

/** One of `values`. */
export function choice<const T extends readonly (string | number)[]>(values: T) {
  return z.literal(
    values,
    typeError((input) => `must be one of ${values.join(', ')}, got ${describe(input)}`),
  );
}

/** An array of `min` to `max` items, each checked by `item` (its issues name the index). */
export function list<T extends z.ZodType>(item: T, min = 0, max = 100) {
  return z
    .array(
      item,
      typeError(() => 'must be an array'),
    )
    .superRefine(
      (items, ctx) => {
        if (items.length >= min && items.length <= max) return;
        ctx.addIssue({
          code: 'custom',
          message:
            min === max
              ? `must hold exactly ${min} entries`
              : `must hold ${min} to ${max} entries, got ${items.length}`,
          input: items,
        });
      },
      // Counted even when items are wrong, as those are reported on their own index.
      { when: (payload) => Array.isArray(payload.value) },
    );
}

/**
 * An object holding the fields of `shape` and nothing else (each unknown field is reported). A
 * missing or non-object value is reported and read as `{}`, so its required fields are reported too.
 */
export function section<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  const expected = Object.keys(shape).join(', ');
  const object = z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field (expected one of ${expected})` : undefined),
  });
  return z.preprocess((value, ctx) => {
    if (isRecord(value)) return value;
    ctx.addIssue({ code: 'custom', message: value === undefined ? 'is required' : 'must be an object', input: value });
    // The object is not read any further: its required fields are reported from here.
    for (const issue of object.safeParse({}).error?.issues ?? []) ctx.addIssue({ ...issue, input: undefined });
    return {};
  }, object);
}

/** An optional section: absent, its fields take their defaults. */
export function optionalSection<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  return section(shape).prefault({});
}

/** Whether parsing so far found nothing wrong at (or inside) these fields of the object being checked. */
export function fieldsOk(issues: readonly z.core.$ZodRawIssue[], fields: readonly string[]): boolean {
  return !issues.some(
    (issue) => issue.path !== undefined && issue.path.length > 0 && fields.includes(String(issue.path[0])),
  );
}

/**
 * For a check across fields of an object (superRefine): run it only once `fields` are valid, as
 * comparing a valid value with an invalid one would only repeat the first problem.
 */
export function whenValid(...fields: string[]) {
  return { when: (payload: z.core.ParsePayload) => isRecord(payload.value) && fieldsOk(payload.issues, fields) };
}

/** Reports `problem` on `field` of the object a superRefine checks. */
export function reportAt(ctx: z.core.$RefinementCtx<unknown>, field: string, problem: string): void {
  ctx.addIssue({ code: 'custom', path: [field], message: problem, input: ctx.value });
}

export interface FieldIssue {
  /** Dotted path of the offending field, e.g. `delivery.geoRestriction.countries[1]`. */
  readonly field: string;
  readonly problem: string;
}

/** zod's issues as one line per field (an unknown field is its own field; the first problem of a field wins). */
export function fieldIssues(error: z.ZodError): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const pathOf = (path: readonly PropertyKey[]): string =>
    path.reduce<string>(
      (dotted, key) =>
        typeof key === 'number' ? `${dotted}[${key}]` : dotted === '' ? String(key) : `${dotted}.${String(key)}`,
      '',
    );
  for (const issue of error.issues) {
    const fields =
      issue.code === 'unrecognized_keys' ? issue.keys.map((key) => pathOf([...issue.path, key])) : [pathOf(issue.path)];
    for (const field of fields) {
      if (!issues.some((known) => known.field === field)) issues.push({ field, problem: issue.message });
    }
  }
  return issues;
}
