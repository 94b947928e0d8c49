/**
 * DynamoDB expressions: condition expressions, update expressions and projection expressions,
 * parsed into a small syntax tree. Placeholders are resolved while parsing: `#name` through
 * `ExpressionAttributeNames` (an undefined one is an error), `:value` checked against
 * `ExpressionAttributeValues`; both are recorded as used, so the operation can refuse unused ones
 * as DynamoDB does. Every problem is a `ValidationException` worded as DynamoDB words it
 * ("Invalid ConditionExpression: Syntax error; token: …").
 *
 * Condition grammar (precedence from loosest): OR, AND, NOT, then a comparison (`= <> < <= > >=`),
 * `BETWEEN … AND …`, `IN (…)`, a function (`attribute_exists`, `attribute_not_exists`,
 * `attribute_type`, `begins_with`, `contains`) or a parenthesised condition. Operands are document
 * paths (`a.b[2]`, `#n`), values (`:v`) and `size(path)`.
 *
 * Update grammar: `SET p = v, …`, `REMOVE p, …`, `ADD p :v, …`, `DELETE p :v, …`, each clause at
 * most once, in any order; SET values are operands, `if_not_exists(p, v)`, `list_append(a, b)`
 * and `a + b` / `a - b`.
 */
import { DynamoDbError } from './errors.js';
import { isReservedWord } from './reserved-words.js';
import type { Item } from './values.js';

export type PathElement = { kind: 'name'; name: string } | { kind: 'index'; index: number };

export interface DocumentPath {
  elements: PathElement[];
}

export type Operand =
  | { kind: 'path'; path: DocumentPath }
  | { kind: 'value'; name: string }
  | { kind: 'size'; path: DocumentPath }
  | { kind: 'if_not_exists'; path: DocumentPath; fallback: Operand }
  | { kind: 'list_append'; left: Operand; right: Operand }
  | { kind: 'arithmetic'; operator: '+' | '-'; left: Operand; right: Operand };

export type Comparator = '=' | '<>' | '<' | '<=' | '>' | '>=';

export type ConditionFunction =
  | 'attribute_exists'
  | 'attribute_not_exists'
  | 'attribute_type'
  | 'begins_with'
  | 'contains';

export type Condition =
  | { kind: 'and' | 'or'; left: Condition; right: Condition }
  | { kind: 'not'; operand: Condition }
  | { kind: 'compare'; operator: Comparator; left: Operand; right: Operand }
  | { kind: 'between'; value: Operand; low: Operand; high: Operand }
  | { kind: 'in'; value: Operand; candidates: Operand[] }
  | { kind: 'function'; name: ConditionFunction; args: Operand[] };

export interface UpdateActions {
  set: Array<{ path: DocumentPath; value: Operand }>;
  remove: DocumentPath[];
  add: Array<{ path: DocumentPath; value: Operand }>;
  delete: Array<{ path: DocumentPath; value: Operand }>;
}

/** The placeholders of one request, and which of them its expressions used. */
export class ExpressionContext {
  readonly usedNames = new Set<string>();
  readonly usedValues = new Set<string>();

  constructor(
    readonly names: Record<string, string> | undefined,
    readonly values: Item | undefined,
  ) {}

  /** DynamoDB refuses placeholders no expression of the request used. */
  checkAllUsed(): void {
    const unusedNames = Object.keys(this.names ?? {}).filter((name) => !this.usedNames.has(name));
    if (unusedNames.length > 0)
      throw DynamoDbError.validation(
        `Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(', ')}}`,
      );
    const unusedValues = Object.keys(this.values ?? {}).filter((name) => !this.usedValues.has(name));
    if (unusedValues.length > 0)
      throw DynamoDbError.validation(
        `Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(', ')}}`,
      );
  }
}

// ---------------------------------------------------------------------------------------------------
// Tokens

type TokenKind = 'identifier' | 'name' | 'value' | 'number' | 'punctuation' | 'end';

interface Token {
  kind: TokenKind;
  text: string;
}

const PUNCTUATION = ['<>', '<=', '>=', '=', '<', '>', '(', ')', '[', ']', ',', '.', '+', '-'];

function tokenize(text: string, fail: (token: string, near: string) => never): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    const space = /^\s+/.exec(rest);
    if (space) {
      i += space[0].length;
      continue;
    }
    const match =
      /^[A-Za-z][A-Za-z0-9_]*/.exec(rest) ??
      /^#[A-Za-z0-9_]+/.exec(rest) ??
      /^:[A-Za-z0-9_]+/.exec(rest) ??
      /^\d+/.exec(rest);
    if (match) {
      const [word] = match;
      const first = word[0];
      const kind: TokenKind =
        first === '#' ? 'name' : first === ':' ? 'value' : /\d/.test(first ?? '') ? 'number' : 'identifier';
      tokens.push({ kind, text: word });
      i += word.length;
      continue;
    }
    const punctuation = PUNCTUATION.find((p) => rest.startsWith(p));
    if (punctuation === undefined) {
      const previous = tokens[tokens.length - 1]?.text;
      fail(rest.charAt(0), previous === undefined ? rest.slice(0, 2) : `${previous}${rest.charAt(0)}`);
    }
    tokens.push({ kind: 'punctuation', text: punctuation });
    i += punctuation.length;
  }
  tokens.push({ kind: 'end', text: '<EOF>' });
  return tokens;
}

const CONDITION_FUNCTIONS: Record<ConditionFunction, number> = {
  attribute_exists: 1,
  attribute_not_exists: 1,
  attribute_type: 2,
  begins_with: 2,
  contains: 2,
};

const COMPARATORS: readonly string[] = ['=', '<>', '<', '<=', '>', '>='];

function isConditionFunction(name: string): name is ConditionFunction {
  return Object.hasOwn(CONDITION_FUNCTIONS, name);
}

/** The three kinds of expression name the errors: `Invalid ConditionExpression: …`. */
export type ExpressionKind = 'ConditionExpression' | 'UpdateExpression' | 'ProjectionExpression';

class Parser {
  private readonly tokens: Token[];
  private position = 0;

  constructor(
    private readonly kind: ExpressionKind,
    text: string,
    private readonly context: ExpressionContext,
  ) {
    if (text.trim() === '')
      throw DynamoDbError.validation(`Invalid ${kind}: The expression can not be empty;`);
    this.tokens = tokenize(text, (token, near) => this.syntaxError(token, near));
  }

  private invalid(message: string): never {
    throw DynamoDbError.validation(`Invalid ${this.kind}: ${message}`);
  }

  private syntaxError(token: string, near: string): never {
    this.invalid(`Syntax error; token: "${token}", near: "${near}"`);
  }

  private peek(offset = 0): Token {
    return (
      this.tokens[Math.min(this.position + offset, this.tokens.length - 1)] ?? { kind: 'end', text: '<EOF>' }
    );
  }

  private next(): Token {
    const token = this.peek();
    if (this.position < this.tokens.length - 1) this.position++;
    return token;
  }

  /** Fails on the current token, quoting it with its neighbours as DynamoDB does. */
  private unexpected(): never {
    const token = this.peek();
    const before = this.position > 0 ? this.tokens[this.position - 1]?.text : undefined;
    const after = this.peek(1);
    const near = [
      before,
      token.kind === 'end' ? undefined : token.text,
      after.kind === 'end' ? undefined : after.text,
    ]
      .filter((part) => part !== undefined)
      .join(' ');
    this.syntaxError(token.text, near);
  }

  private expect(text: string): void {
    if (this.peek().text !== text) this.unexpected();
    this.next();
  }

  private isKeyword(word: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === 'identifier' && token.text.toUpperCase() === word;
  }

  atEnd(): boolean {
    return this.peek().kind === 'end';
  }

  finish(): void {
    if (!this.atEnd()) this.unexpected();
  }

  // ---- paths and operands

  private pathName(): string {
    const token = this.peek();
    if (token.kind === 'name') {
      this.next();
      const resolved = this.context.names?.[token.text];
      if (resolved === undefined)
        this.invalid(
          `An expression attribute name used in the document path is not defined; attribute name: ${token.text}`,
        );
      this.context.usedNames.add(token.text);
      return resolved;
    }
    if (token.kind === 'identifier') {
      if (isReservedWord(token.text))
        this.invalid(`Attribute name is a reserved keyword; reserved keyword: ${token.text}`);
      this.next();
      return token.text;
    }
    this.unexpected();
  }

  path(): DocumentPath {
    const elements: PathElement[] = [{ kind: 'name', name: this.pathName() }];
    for (;;) {
      if (this.peek().text === '.') {
        this.next();
        elements.push({ kind: 'name', name: this.pathName() });
      } else if (this.peek().text === '[') {
        this.next();
        const index = this.peek();
        if (index.kind !== 'number') this.unexpected();
        this.next();
        this.expect(']');
        elements.push({ kind: 'index', index: Number(index.text) });
      } else return { elements };
    }
  }

  private value(): Operand {
    const token = this.next();
    if (this.context.values?.[token.text] === undefined)
      this.invalid(
        `An expression attribute value used in expression is not defined; attribute value: ${token.text}`,
      );
    this.context.usedValues.add(token.text);
    return { kind: 'value', name: token.text };
  }

  private isFunctionCall(): boolean {
    return this.peek().kind === 'identifier' && this.peek(1).text === '(';
  }

  /** The argument of a function that needs a document path. */
  private pathArgument(name: string): DocumentPath {
    const token = this.peek();
    if (token.kind !== 'name' && token.kind !== 'identifier')
      this.invalid(`Operator or function requires a document path; operator or function: ${name}`);
    if (this.isFunctionCall())
      this.invalid(`Operator or function requires a document path; operator or function: ${name}`);
    return this.path();
  }

  /** An operand of a condition: a path, a value, or size(path). */
  operand(allowUpdateFunctions = false): Operand {
    const token = this.peek();
    if (token.kind === 'value') return this.value();
    if (this.isFunctionCall()) {
      const name = token.text;
      if (name === 'size') {
        this.next();
        this.expect('(');
        const path = this.pathArgument(name);
        this.expect(')');
        return { kind: 'size', path };
      }
      if (allowUpdateFunctions && name === 'if_not_exists') {
        this.next();
        this.expect('(');
        const path = this.pathArgument(name);
        this.expect(',');
        const fallback = this.operand(true);
        this.expect(')');
        return { kind: 'if_not_exists', path, fallback };
      }
      if (allowUpdateFunctions && name === 'list_append') {
        this.next();
        this.expect('(');
        const left = this.operand(true);
        this.expect(',');
        const right = this.operand(true);
        this.expect(')');
        return { kind: 'list_append', left, right };
      }
      if (isConditionFunction(name) || name === 'if_not_exists' || name === 'list_append' || name === 'size')
        this.invalid(`The function is not allowed to be used this way in an expression; function: ${name}`);
      this.invalid(`Invalid function name; function: ${name}`);
    }
    if (token.kind === 'name' || token.kind === 'identifier') return { kind: 'path', path: this.path() };
    this.unexpected();
  }

  // ---- conditions

  condition(): Condition {
    let left = this.conjunction();
    while (this.isKeyword('OR')) {
      this.next();
      left = { kind: 'or', left, right: this.conjunction() };
    }
    return left;
  }

  private conjunction(): Condition {
    let left = this.negation();
    while (this.isKeyword('AND')) {
      this.next();
      left = { kind: 'and', left, right: this.negation() };
    }
    return left;
  }

  private negation(): Condition {
    if (this.isKeyword('NOT')) {
      this.next();
      return { kind: 'not', operand: this.negation() };
    }
    return this.primary();
  }

  private primary(): Condition {
    if (this.peek().text === '(') {
      this.next();
      const inner = this.condition();
      this.expect(')');
      return inner;
    }
    const token = this.peek();
    if (this.isFunctionCall() && isConditionFunction(token.text)) {
      const name = token.text;
      this.next();
      this.expect('(');
      const args: Operand[] = [];
      if (this.peek().text !== ')') {
        args.push(this.operand());
        while (this.peek().text === ',') {
          this.next();
          args.push(this.operand());
        }
      }
      this.expect(')');
      if (args.length !== CONDITION_FUNCTIONS[name])
        this.invalid(
          `Incorrect number of operands for operator or function; operator or function: ${name}, number of operands: ${args.length}`,
        );
      if (args[0]?.kind !== 'path')
        this.invalid(`Operator or function requires a document path; operator or function: ${name}`);
      return { kind: 'function', name, args };
    }
    const left = this.operand();
    const next = this.peek();
    if (next.kind === 'punctuation' && COMPARATORS.includes(next.text)) {
      this.next();
      return { kind: 'compare', operator: next.text as Comparator, left, right: this.operand() };
    }
    if (this.isKeyword('BETWEEN')) {
      this.next();
      const low = this.operand();
      if (!this.isKeyword('AND')) this.unexpected();
      this.next();
      return { kind: 'between', value: left, low, high: this.operand() };
    }
    if (this.isKeyword('IN')) {
      this.next();
      this.expect('(');
      const candidates = [this.operand()];
      while (this.peek().text === ',') {
        this.next();
        candidates.push(this.operand());
      }
      this.expect(')');
      if (candidates.length > 100)
        this.invalid(
          `The IN operator is provided with too many operands; number of operands: ${candidates.length}`,
        );
      return { kind: 'in', value: left, candidates };
    }
    if (left.kind === 'size')
      this.invalid('The function is not allowed to be used this way in an expression; function: size');
    this.unexpected();
  }

  // ---- updates

  private setValue(): Operand {
    const left = this.operand(true);
    const next = this.peek().text;
    if (next === '+' || next === '-') {
      this.next();
      return { kind: 'arithmetic', operator: next, left, right: this.operand(true) };
    }
    return left;
  }

  private isClauseStart(): boolean {
    return ['SET', 'REMOVE', 'ADD', 'DELETE'].some((word) => this.isKeyword(word));
  }

  update(): UpdateActions {
    const actions: UpdateActions = { set: [], remove: [], add: [], delete: [] };
    const seen = new Set<string>();
    while (!this.atEnd()) {
      if (!this.isClauseStart()) this.unexpected();
      const clause = this.next().text.toUpperCase();
      if (seen.has(clause))
        this.invalid(`The "${clause}" section can only be used once in an update expression;`);
      seen.add(clause);
      do {
        if (this.peek().text === ',') this.next();
        if (clause === 'SET') {
          const path = this.path();
          this.expect('=');
          actions.set.push({ path, value: this.setValue() });
        } else if (clause === 'REMOVE') {
          actions.remove.push(this.path());
        } else {
          const path = this.path();
          if (this.peek().kind !== 'value') this.unexpected();
          const value = this.value();
          (clause === 'ADD' ? actions.add : actions.delete).push({ path, value });
        }
      } while (this.peek().text === ',');
    }
    return actions;
  }

  projection(): DocumentPath[] {
    const paths = [this.path()];
    while (this.peek().text === ',') {
      this.next();
      paths.push(this.path());
    }
    return paths;
  }
}

export function parseCondition(text: string, context: ExpressionContext): Condition {
  const parser = new Parser('ConditionExpression', text, context);
  const condition = parser.condition();
  parser.finish();
  return condition;
}

export function parseUpdate(text: string, context: ExpressionContext): UpdateActions {
  const parser = new Parser('UpdateExpression', text, context);
  const actions = parser.update();
  parser.finish();
  const paths = [
    ...actions.set.map((action) => action.path),
    ...actions.remove,
    ...actions.add.map((action) => action.path),
    ...actions.delete.map((action) => action.path),
  ];
  for (let i = 0; i < paths.length; i++) {
    for (let j = i + 1; j < paths.length; j++) {
      const a = paths[i];
      const b = paths[j];
      if (a !== undefined && b !== undefined && overlaps(a, b))
        throw DynamoDbError.validation(
          `Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: ${formatPath(a)}, path two: ${formatPath(b)}`,
        );
    }
  }
  return actions;
}

export function parseProjection(text: string, context: ExpressionContext): DocumentPath[] {
  const parser = new Parser('ProjectionExpression', text, context);
  const paths = parser.projection();
  parser.finish();
  return paths;
}

function sameElement(a: PathElement, b: PathElement): boolean {
  return a.kind === 'name' && b.kind === 'name'
    ? a.name === b.name
    : a.kind === 'index' && b.kind === 'index' && a.index === b.index;
}

/** One path is a prefix of the other (or they are equal). */
export function overlaps(a: DocumentPath, b: DocumentPath): boolean {
  const length = Math.min(a.elements.length, b.elements.length);
  for (let i = 0; i < length; i++) {
    const left = a.elements[i];
    const right = b.elements[i];
    if (left === undefined || right === undefined || !sameElement(left, right)) return false;
  }
  return true;
}

/** `[a, b, [2]]`, DynamoDB's rendering of a path in messages. */
export function formatPath(path: DocumentPath): string {
  return `[${path.elements.map((e) => (e.kind === 'name' ? e.name : `[${e.index}]`)).join(', ')}]`;
}
