/**
 * Reply shapes: a small set of kinds a command's reply can have, how a JSON `reply_schema` (Redis ≥ 7.2 command
 * specs) maps to one, and which `Command` transform decodes each. A schema with more than one shape (SPOP with and
 * without COUNT, ZADD with INCR) or a shape outside the set is `"raw"`: the reply as the server sent it.
 *
 * RESP2 and RESP3 both decode: the transforms accept a double as a bulk string, a map as a flat array, a set as an
 * array.
 */

/** The reply kinds, each with the `Command` transform that decodes it (by its export name). */
export const transforms = {
  ok: "ok",
  number: "number",
  boolean: "boolean",
  string: "string",
  optionString: "optionString",
  optionNumber: "optionNumber",
  float: "float",
  optionFloat: "optionFloat",
  strings: "strings",
  optionStrings: "optionStrings",
  numbers: "numbers",
  booleans: "booleans",
  optionFloats: "optionFloats",
  record: "record",
  raw: "raw"
} as const

/** A reply kind. */
export type ReplyKind = keyof typeof transforms

type Atom = "null" | "integer" | "number" | "string" | "ok" | "zero" | "one" | "array" | "object" | "other"

interface Schema {
  readonly type?: string
  readonly const?: unknown
  readonly oneOf?: ReadonlyArray<Schema>
  readonly anyOf?: ReadonlyArray<Schema>
  readonly items?: Schema
  readonly additionalProperties?: Schema | boolean
  readonly properties?: unknown
}

/** the alternatives of a schema, flattened */
const alternatives = (schema: Schema): Array<Schema> => {
  const alts = schema.oneOf ?? schema.anyOf
  return alts === undefined ? [schema] : alts.flatMap(alternatives)
}

const atom = (s: Schema): Atom => {
  if ("const" in s) {
    if (s.const === "OK") return "ok"
    if (s.const === 0) return "zero"
    if (s.const === 1) return "one"
    return Number.isInteger(s.const) ? "integer" : "other"
  }
  switch (s.type) {
    case "null":
    case "integer":
    case "number":
    case "string":
    case "array":
    case "object":
      return s.type
    default:
      return "other"
  }
}

/** the set of atoms a schema can be, as a sorted key ("integer|null") */
const shape = (schema: Schema): string => {
  const atoms = new Set(alternatives(schema).map(atom))
  if (atoms.has("integer")) {
    atoms.delete("zero")
    atoms.delete("one")
  }
  return [...atoms].sort().join("|")
}

/** The reply kind of a `reply_schema`. */
export const classify = (schema: unknown): ReplyKind => {
  const s = schema as Schema
  switch (shape(s)) {
    case "ok":
      return "ok"
    case "integer":
      return "number"
    case "one|zero":
      return "boolean"
    case "string":
      return "string"
    case "null|string":
      return "optionString"
    case "integer|null":
      return "optionNumber"
    case "number":
      return "float"
    case "null|number":
      return "optionFloat"
    case "array": {
      const alts = alternatives(s)
      if (alts.length !== 1 || alts[0].items === undefined) return "raw"
      switch (shape(alts[0].items)) {
        case "string":
          return "strings"
        case "null|string":
          return "optionStrings"
        case "integer":
          return "numbers"
        case "one|zero":
          return "booleans"
        case "null|number":
          return "optionFloats"
        default:
          return "raw"
      }
    }
    case "object": {
      const alts = alternatives(s)
      const values = alts.length === 1 ? alts[0].additionalProperties : undefined
      return alts[0].properties === undefined && typeof values === "object" && shape(values) === "string"
        ? "record"
        : "raw"
    }
    default:
      return "raw"
  }
}
