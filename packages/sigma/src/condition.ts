import { SigmaCompileError } from "./errors.ts";

/** Parsed Sigma condition expression. */
export type ConditionNode =
  | { kind: "and"; children: ConditionNode[] }
  | { kind: "or"; children: ConditionNode[] }
  | { kind: "not"; child: ConditionNode }
  | { kind: "ref"; name: string }
  | { kind: "of"; quantifier: "one" | "all"; pattern: string };

type Token = { type: "lparen" | "rparen" | "and" | "or" | "not" | "of" | "one" | "all" | "word"; text: string };

const TOKEN_PATTERN = /\s*(\(|\)|[^\s()]+)/y;

function tokenize(condition: string, path: (string | number)[]): Token[] {
  const tokens: Token[] = [];
  TOKEN_PATTERN.lastIndex = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = TOKEN_PATTERN.exec(condition)) !== null) {
    consumed = TOKEN_PATTERN.lastIndex;
    const text = match[1] ?? "";
    const lower = text.toLowerCase();
    if (text === "|") {
      throw new SigmaCompileError(path, "aggregation expressions (`| count() ...`) were removed from Sigma; use a correlation rule");
    }
    if (text === "(") tokens.push({ type: "lparen", text });
    else if (text === ")") tokens.push({ type: "rparen", text });
    else if (lower === "and" || lower === "or" || lower === "not" || lower === "of" || lower === "all") tokens.push({ type: lower, text });
    else if (text === "1" || lower === "any") tokens.push({ type: "one", text });
    else tokens.push({ type: "word", text });
  }
  if (condition.slice(consumed).trim() !== "") throw new SigmaCompileError(path, `cannot read condition "${condition}"`);
  return tokens;
}

/**
 * Recursive-descent parser; precedence (lowest first): or, and, not, then primaries
 * (identifier, `1 of x`, `all of x`, parenthesised expression).
 */
export function parseCondition(condition: string, path: (string | number)[] = ["detection", "condition"]): ConditionNode {
  const tokens = tokenize(condition, path);
  let position = 0;
  const fail = (message: string): never => {
    throw new SigmaCompileError(path, `condition "${condition}": ${message}`);
  };
  const peek = () => tokens[position];

  const parseOr = (): ConditionNode => {
    const children = [parseAnd()];
    while (peek()?.type === "or") {
      position++;
      children.push(parseAnd());
    }
    return children.length === 1 ? children[0]! : { kind: "or", children };
  };
  const parseAnd = (): ConditionNode => {
    const children = [parseNot()];
    while (peek()?.type === "and") {
      position++;
      children.push(parseNot());
    }
    return children.length === 1 ? children[0]! : { kind: "and", children };
  };
  const parseNot = (): ConditionNode => {
    if (peek()?.type === "not") {
      position++;
      return { kind: "not", child: parseNot() };
    }
    return parsePrimary();
  };
  const parsePrimary = (): ConditionNode => {
    const token = tokens[position++];
    if (token === undefined) return fail("ends unexpectedly");
    if (token.type === "lparen") {
      const inner = parseOr();
      if (tokens[position++]?.type !== "rparen") fail("missing closing parenthesis");
      return inner;
    }
    if (token.type === "one" || token.type === "all") {
      if (tokens[position++]?.type !== "of") fail(`expected "of" after "${token.text}"`);
      const target = tokens[position++];
      if (target?.type !== "word") return fail(`expected an identifier pattern or "them" after "${token.text} of"`);
      return { kind: "of", quantifier: token.type === "one" ? "one" : "all", pattern: target.text };
    }
    if (token.type === "word") return { kind: "ref", name: token.text };
    return fail(`unexpected "${token.text}"`);
  };

  if (tokens.length === 0) fail("is empty");
  const tree = parseOr();
  if (position < tokens.length) fail(`unexpected "${tokens[position]!.text}"`);
  return tree;
}

function wildcardToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\?]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${escaped}$`);
}

/**
 * Replaces `1 of x*` / `all of them` by the identifiers they cover, so evaluation only deals with references.
 * `them` ignores identifiers starting with an underscore, as pySigma does.
 */
export function resolveCondition(node: ConditionNode, identifiers: readonly string[], path: (string | number)[]): ConditionNode {
  switch (node.kind) {
    case "and":
    case "or":
      return { kind: node.kind, children: node.children.map((c) => resolveCondition(c, identifiers, path)) };
    case "not":
      return { kind: "not", child: resolveCondition(node.child, identifiers, path) };
    case "ref":
      if (!identifiers.includes(node.name)) throw new SigmaCompileError(path, `condition refers to the undefined search identifier "${node.name}"`);
      return node;
    case "of": {
      const names =
        node.pattern === "them"
          ? identifiers.filter((name) => !name.startsWith("_"))
          : identifiers.filter((name) => wildcardToRegExp(node.pattern).test(name));
      if (names.length === 0) throw new SigmaCompileError(path, `"${node.pattern}" matches no search identifier`);
      const children: ConditionNode[] = names.map((name) => ({ kind: "ref", name }));
      return children.length === 1 ? children[0]! : { kind: node.quantifier === "all" ? "and" : "or", children };
    }
  }
}
