import { z } from "zod";
import { ConfigError } from "../errors.js";
import { configChecks, type ConfigCheck } from "./config-checks.js";
import {
  configSpec,
  variableNames,
  type ConfigValues,
  type Section,
  type SectionValues,
  type Variable,
  type VariableName,
} from "./config-spec.js";
import type { ValueKind } from "./value-kinds.js";

export type Env = Readonly<Record<string, string | undefined>>;

/** The trimmed text of a variable, or undefined when it is unset or blank (blank counts as unset). */
export function readSetText(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/**
 * One variable's schema: blank → unset, then its default, its requirement (waived when `optional`) or
 * undefined, then its kind.
 */
function createVariableSchema(variable: Variable, optional: boolean): z.ZodType {
  const kind: ValueKind<unknown> = variable.kind;
  const whenSet =
    "default" in variable
      ? kind.prefault(variable.default)
      : "required" in variable && !optional
        ? z.string({ error: `is not set: ${variable.required}` }).pipe(kind)
        : kind.optional();
  return z.preprocess(readSetText, whenSet);
}

function addCheck(schema: z.ZodObject, check: ConfigCheck): z.ZodObject {
  const reads: readonly PropertyKey[] = check.reads;
  return schema.superRefine(
    (values, ctx) => {
      // Sound: `when` lets this run only once every variable in `reads` has parsed to its typed value.
      const problem = check.findProblem(values as ConfigValues);
      if (problem === undefined) return;
      const params = problem.value === undefined ? {} : { params: { value: problem.value } };
      ctx.addIssue({ code: "custom", path: [problem.name], message: problem.message, ...params });
    },
    {
      when: (payload) =>
        !payload.issues.some((issue) => issue.path?.[0] !== undefined && reads.includes(issue.path[0])),
    },
  );
}

/** `NAME="text" must be …` or, for a problem that must not echo the text, `NAME must be …`. */
function formatProblem(issue: z.core.$ZodIssue): string {
  const name = String(issue.path[0]);
  const value: unknown = issue.code === "custom" ? issue.params?.value : undefined;
  return typeof value === "string"
    ? `${name}=${JSON.stringify(value)} ${issue.message}`
    : `${name} ${issue.message}`;
}

/**
 * Reads and validates every variable of the given sections, and runs every check across them; throws
 * ConfigError listing every problem at once. Returns each section's fields, keyed by section.
 *
 * The sections in `optionalSections` are read the same way except that their required variables may
 * be unset (their fields are then undefined): a command that uses them only when given (`load` checks
 * the tenant when ZEPHR_BASE_URL is set). A check across variables runs only once each it reads is set.
 */
export function readSections<const S extends Section, const O extends Section = never>(
  env: Env,
  sections: readonly S[],
  optionalSections: readonly O[] = [],
): { readonly [K in S]: SectionValues<K> } & { readonly [K in O]: Partial<SectionValues<K>> } {
  const required: readonly Section[] = sections;
  const optional: readonly Section[] = optionalSections;
  const isOptional = (name: VariableName) => optional.includes(configSpec[name].section);
  const names = variableNames.filter(
    (name) => required.includes(configSpec[name].section) || isOptional(name),
  );
  const shape = Object.fromEntries(
    names.map((name) => [name, createVariableSchema(configSpec[name], isOptional(name))]),
  );
  const schema = configChecks
    .filter((check) =>
      check.reads.every(
        (name) => names.includes(name) && !(isOptional(name) && readSetText(env[name]) === undefined),
      ),
    )
    .reduce(addCheck, z.object(shape));
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map(formatProblem));

  const bySection: Partial<Record<Section, Record<string, unknown>>> = {};
  for (const name of names) {
    const { section, field } = configSpec[name];
    (bySection[section] ??= {})[field] = parsed.data[name];
  }
  for (const section of [...required, ...optional]) bySection[section] ??= {};
  // Sound: each section holds exactly the fields the spec gives it, each parsed by that variable's kind
  // (undefined where an optional section's required variable was unset).
  return bySection as { readonly [K in S]: SectionValues<K> } & {
    readonly [K in O]: Partial<SectionValues<K>>;
  };
}
