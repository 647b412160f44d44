// The lexer and recursive-descent parser of the label selector string syntax,
// a port of apimachinery labels.Parser so that accepted strings and error
// messages match what kube-apiserver says.

import { TugError } from "../errors.ts";
import { makeRequirement, requirementError, type LabelOperator, type LabelRequirement } from "./label-requirement.ts";

type TokenType = "id" | "in" | "notin" | "!" | "!=" | "=" | "==" | ">" | "<" | "(" | ")" | "," | "end";

interface Token {
  type: TokenType;
  literal: string;
}

const SYMBOLS = new Set(["!", "!=", "=", "==", ">", "<", "(", ")", ","]);
const SPECIAL = new Set(["=", "!", "(", ")", ",", ">", "<"]);
const WHITESPACE = new Set([" ", "\t", "\r", "\n"]);

function lex(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (WHITESPACE.has(ch)) {
      i++;
    } else if (SPECIAL.has(ch)) {
      // Longest match, as the Kubernetes lexer does: `!=` and `==` are one token.
      const two = input.slice(i, i + 2);
      const literal = SYMBOLS.has(two) ? two : ch;
      tokens.push({ type: literal as TokenType, literal });
      i += literal.length;
    } else {
      let j = i;
      while (j < input.length && !WHITESPACE.has(input[j]!) && !SPECIAL.has(input[j]!)) j++;
      const literal = input.slice(i, j);
      tokens.push({ type: literal === "in" || literal === "notin" ? literal : "id", literal });
      i = j;
    }
  }
  tokens.push({ type: "end", literal: "" });
  return tokens;
}

class ParseFailure extends Error {}

const fail = (message: string): never => {
  throw new ParseFailure(message);
};

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  /**
   * Where a value or key is expected, `in` and `notin` are plain identifiers
   * (Kubernetes' "Values" context), so `in=in` is a valid selector.
   */
  private peek(): Token {
    const t = this.tokens[this.pos]!;
    return t.type === "in" || t.type === "notin" ? { type: "id", literal: t.literal } : t;
  }

  private next(): Token {
    const t = this.peek();
    if (t.type !== "end") this.pos++;
    return t;
  }

  private nextOperatorToken(): Token {
    const t = this.tokens[this.pos]!;
    if (t.type !== "end") this.pos++;
    return t;
  }

  parse(): LabelRequirement[] {
    const requirements: LabelRequirement[] = [];
    for (;;) {
      const t = this.peek();
      if (t.type === "end") return requirements;
      if (t.type !== "id" && t.type !== "!") fail(`found '${t.literal}', expected: !, identifier, or 'end of string'`);
      requirements.push(this.requirement());
      const after = this.next();
      if (after.type === "end") return requirements;
      if (after.type !== ",") fail(`found '${after.literal}', expected: ',' or 'end of string'`);
      const t2 = this.peek();
      if (t2.type !== "id" && t2.type !== "!") fail(`found '${t2.literal}', expected: identifier after ','`);
    }
  }

  private requirement(): LabelRequirement {
    try {
      let operator: LabelOperator | "==" | undefined;
      let t = this.next();
      if (t.type === "!") {
        operator = "!";
        t = this.next();
      }
      if (t.type !== "id") fail(`found '${t.literal}', expected: identifier`);
      const key = t.literal;
      const keyError = requirementError(key, "exists", []);
      if (keyError) fail(keyError);
      const ahead = this.peek().type;
      if (operator === "!") return makeRequirement(key, "!", []);
      if (ahead === "end" || ahead === ",") return makeRequirement(key, "exists", []);
      operator = this.operator();
      const values = operator === "in" || operator === "notin" ? this.setValues() : this.exactValue();
      const err = requirementError(key, operator, values);
      if (err) fail(err);
      return makeRequirement(key, operator, values);
    } catch (e) {
      if (e instanceof ParseFailure) throw new ParseFailure(`unable to parse requirement: ${e.message}`);
      throw e;
    }
  }

  private operator(): LabelOperator | "==" {
    const t = this.nextOperatorToken();
    switch (t.type) {
      case "in":
      case "notin":
      case "=":
      case "==":
      case "!=":
        return t.type;
      case ">":
        return "gt";
      case "<":
        return "lt";
      default:
        return fail(`found '${t.literal}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }

  private exactValue(): string[] {
    const ahead = this.peek();
    if (ahead.type === "end" || ahead.type === ",") return [""];
    const t = this.next();
    if (t.type === "id") return [t.literal];
    return fail(`found '${t.literal}', expected: identifier`);
  }

  private setValues(): string[] {
    const open = this.next();
    if (open.type !== "(") fail(`found '${open.literal}' expected: '('`);
    const ahead = this.peek();
    if (ahead.type === ")") {
      this.next();
      // Kubernetes reads `()` as the set holding the empty string.
      return [""];
    }
    if (ahead.type !== "id" && ahead.type !== ",") fail(`found '${ahead.literal}', expected: ',', ')' or identifier`);
    const values = this.identifierList();
    const close = this.next();
    if (close.type !== ")") fail(`found '${close.literal}', expected: ')'`);
    return values;
  }

  /** `a,b`, where empty elements (`(,a)`, `(a,,b)`, `(a,)`) are the empty string. */
  private identifierList(): string[] {
    const values: string[] = [];
    for (;;) {
      const t = this.next();
      if (t.type === "id") {
        values.push(t.literal);
        const ahead = this.peek();
        if (ahead.type === ",") continue;
        if (ahead.type === ")") return values;
        fail(`found '${ahead.literal}', expected: ',' or ')'`);
      } else if (t.type === ",") {
        if (values.length === 0) values.push("");
        const ahead = this.peek();
        if (ahead.type === ")") {
          values.push("");
          return values;
        }
        if (ahead.type === ",") {
          this.next();
          values.push("");
        }
      } else {
        fail(`found '${t.literal}', expected: ',', or identifier`);
      }
    }
  }
}

/** The requirements of a selector string, in the order written; BadRequest on bad syntax. */
export function parseRequirements(selector: string): LabelRequirement[] {
  try {
    return new Parser(lex(selector)).parse();
  } catch (e) {
    if (e instanceof ParseFailure) throw new TugError("BadRequest", e.message);
    throw e;
  }
}
