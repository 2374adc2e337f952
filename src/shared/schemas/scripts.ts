// A registered script's declared arguments, defined once in zod: the registry file is checked against them,
// and GET /v1/scripts answers them, so a client (the web UI's run form) builds its fields from the same
// declarations the API checks requests by. The web UI imports this module with `import type` only.
import { z } from 'zod';

const ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const argName = z.string().regex(ARG_NAME, 'argument names are letters, digits and _');

function isRegExp(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

/** A pattern as the registry gives it: a regular expression's source. */
export const Pattern = z.string().refine(isRegExp, 'not a valid regular expression');

/** One argument a script takes: its name, type and the bounds its values are checked against. */
export const ArgSpec = z.discriminatedUnion('type', [
  z
    .object({
      name: argName,
      type: z.literal('string'),
      /** Matched against the whole value, as if written `^(?:pattern)$`. */
      pattern: Pattern.optional(),
      maxLength: z.number().int().positive().max(4096).default(256),
      enum: z.array(z.string()).nonempty().optional(),
      /** Values starting with "-" are refused unless this is true: the script could take them for options. */
      allowLeadingDash: z.boolean().default(false),
    })
    .strict(),
  z
    .object({
      name: argName,
      type: z.literal('number'),
      integer: z.boolean().default(false),
      minimum: z.number().optional(),
      maximum: z.number().optional(),
    })
    .strict(),
  z.object({ name: argName, type: z.literal('boolean') }).strict(),
]);
export type ArgSpec = z.infer<typeof ArgSpec>;

/** A registered script as GET /v1/scripts shows it: what a request to run it must hold, nothing of how it runs. */
export const ScriptView = z.object({
  name: z.string(),
  description: z.string().optional(),
  args: z.array(ArgSpec).describe('Every argument is required, in this order.'),
  key: z
    .string()
    .optional()
    .describe('The key template its keys are formed from (leave the key out of requests); none: send a key.'),
});
export type ScriptView = z.infer<typeof ScriptView>;

/** GET /v1/scripts: the registered scripts the caller may list runs of. */
export const ScriptList = z.object({ scripts: z.array(ScriptView) });
export type ScriptList = z.infer<typeof ScriptList>;
