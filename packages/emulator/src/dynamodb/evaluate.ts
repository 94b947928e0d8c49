/**
 * Evaluation of parsed expressions against an item: conditions (true/false), update actions (a new
 * item, every value computed from the item as it was before the update, as DynamoDB does) and
 * projections. Pure functions: they never change the item they are given.
 */
import { DynamoDbError } from './errors.js';
import type { Condition, DocumentPath, Operand, UpdateActions } from './expressions.js';
import {
  ATTRIBUTE_TYPES,
  type AttributeValue,
  addDecimals,
  cloneValue,
  compareValues,
  formatDecimal,
  type Item,
  parseDecimal,
  sizeOf,
  typeOf,
  valuesEqual,
} from './values.js';

/** The value at a document path, or undefined when any step is missing or of the wrong type. */
export function getPath(item: Item, path: DocumentPath): AttributeValue | undefined {
  let current: AttributeValue | undefined;
  let container: Item | undefined = item;
  for (const element of path.elements) {
    if (element.kind === 'name') {
      if (container === undefined) return undefined;
      current = container[element.name];
    } else {
      if (current === undefined || !('L' in current)) return undefined;
      current = current.L[element.index];
    }
    if (current === undefined) return undefined;
    container = 'M' in current ? current.M : undefined;
  }
  return current;
}

function placeholder(name: string, values: Item | undefined): AttributeValue {
  const value = values?.[name];
  // The parser refuses undefined placeholders, so this is a broken invariant, not a user error.
  if (value === undefined) throw new Error(`expression value ${name} vanished after parsing`);
  return value;
}

function conditionOperand(
  operand: Operand,
  item: Item,
  values: Item | undefined,
): AttributeValue | undefined {
  switch (operand.kind) {
    case 'path':
      return getPath(item, operand.path);
    case 'value':
      return placeholder(operand.name, values);
    case 'size': {
      const value = getPath(item, operand.path);
      const size = value === undefined ? undefined : sizeOf(value);
      return size === undefined ? undefined : { N: String(size) };
    }
    default:
      throw DynamoDbError.validation(
        `Invalid ConditionExpression: The function is not allowed in a condition expression; function: ${operand.kind}`,
      );
  }
}

function literalType(operand: Operand, values: Item | undefined): string | undefined {
  return operand.kind === 'value' ? typeOf(placeholder(operand.name, values)) : undefined;
}

/**
 * Whether `condition` holds for `item` (an empty object for an item that does not exist).
 * A comparison with a missing operand is false, except `<>`, which is true [unverified]; ordering
 * comparisons of different types are false.
 */
export function evaluateCondition(condition: Condition, item: Item, values: Item | undefined): boolean {
  switch (condition.kind) {
    case 'and':
      return (
        evaluateCondition(condition.left, item, values) && evaluateCondition(condition.right, item, values)
      );
    case 'or':
      return (
        evaluateCondition(condition.left, item, values) || evaluateCondition(condition.right, item, values)
      );
    case 'not':
      return !evaluateCondition(condition.operand, item, values);
    case 'compare': {
      const left = conditionOperand(condition.left, item, values);
      const right = conditionOperand(condition.right, item, values);
      if (left === undefined || right === undefined) return condition.operator === '<>';
      if (condition.operator === '=') return valuesEqual(left, right);
      if (condition.operator === '<>') return !valuesEqual(left, right);
      const order = compareValues(left, right);
      if (order === undefined) return false;
      switch (condition.operator) {
        case '<':
          return order < 0;
        case '<=':
          return order <= 0;
        case '>':
          return order > 0;
        default:
          return order >= 0;
      }
    }
    case 'between': {
      const low = conditionOperand(condition.low, item, values);
      const high = conditionOperand(condition.high, item, values);
      if (low !== undefined && high !== undefined) {
        const bounds = compareValues(low, high);
        if (bounds !== undefined && bounds > 0)
          throw DynamoDbError.validation(
            `Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: ${JSON.stringify(low)}, upper bound operand: AttributeValue: ${JSON.stringify(high)}`,
          );
      }
      const value = conditionOperand(condition.value, item, values);
      if (value === undefined || low === undefined || high === undefined) return false;
      const above = compareValues(value, low);
      const below = compareValues(value, high);
      return above !== undefined && below !== undefined && above >= 0 && below <= 0;
    }
    case 'in': {
      const value = conditionOperand(condition.value, item, values);
      if (value === undefined) return false;
      return condition.candidates.some((candidate) => {
        const other = conditionOperand(candidate, item, values);
        return other !== undefined && valuesEqual(value, other);
      });
    }
    case 'function': {
      const [first, second] = condition.args;
      const target = first === undefined ? undefined : conditionOperand(first, item, values);
      switch (condition.name) {
        case 'attribute_exists':
          return target !== undefined;
        case 'attribute_not_exists':
          return target === undefined;
        case 'attribute_type': {
          const type = second === undefined ? undefined : conditionOperand(second, item, values);
          if (type === undefined || !('S' in type))
            throw DynamoDbError.validation(
              `Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: ${second === undefined ? 'none' : literalType(second, values)}`,
            );
          if (!(ATTRIBUTE_TYPES as readonly string[]).includes(type.S))
            throw DynamoDbError.validation(
              `Invalid ConditionExpression: Invalid attribute type name found; type: ${type.S}, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}`,
            );
          return target !== undefined && typeOf(target) === type.S;
        }
        case 'begins_with': {
          const prefix = second === undefined ? undefined : conditionOperand(second, item, values);
          const literal = second === undefined ? undefined : literalType(second, values);
          if (literal !== undefined && literal !== 'S' && literal !== 'B')
            throw DynamoDbError.validation(
              `Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: ${literal}`,
            );
          if (target === undefined || prefix === undefined) return false;
          if ('S' in target && 'S' in prefix) return target.S.startsWith(prefix.S);
          if ('B' in target && 'B' in prefix)
            return Buffer.from(target.B, 'base64')
              .subarray(0, Buffer.from(prefix.B, 'base64').length)
              .equals(Buffer.from(prefix.B, 'base64'));
          return false;
        }
        case 'contains': {
          const operand = second === undefined ? undefined : conditionOperand(second, item, values);
          if (target === undefined || operand === undefined) return false;
          if ('S' in target) return 'S' in operand && target.S.includes(operand.S);
          if ('SS' in target) return 'S' in operand && target.SS.includes(operand.S);
          if ('NS' in target)
            return 'N' in operand && target.NS.some((member) => valuesEqual({ N: member }, operand));
          if ('BS' in target) return 'B' in operand && target.BS.includes(operand.B);
          if ('L' in target) return target.L.some((member) => valuesEqual(member, operand));
          return false;
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Updates

const INCORRECT_TYPE = 'An operand in the update expression has an incorrect data type';

function updateOperand(operand: Operand, old: Item, values: Item | undefined): AttributeValue {
  switch (operand.kind) {
    case 'path': {
      const value = getPath(old, operand.path);
      if (value === undefined)
        throw DynamoDbError.validation(
          'The provided expression refers to an attribute that does not exist in the item',
        );
      return value;
    }
    case 'value':
      return placeholder(operand.name, values);
    case 'if_not_exists':
      return getPath(old, operand.path) ?? updateOperand(operand.fallback, old, values);
    case 'list_append': {
      const left = updateOperand(operand.left, old, values);
      const right = updateOperand(operand.right, old, values);
      if (!('L' in left) || !('L' in right))
        throw DynamoDbError.validation(
          `Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: ${'L' in left ? typeOf(right) : typeOf(left)}`,
        );
      return { L: [...left.L, ...right.L] };
    }
    case 'arithmetic': {
      const left = updateOperand(operand.left, old, values);
      const right = updateOperand(operand.right, old, values);
      if (!('N' in left) || !('N' in right)) throw DynamoDbError.validation(INCORRECT_TYPE);
      const sign = operand.operator === '+' ? 1 : -1;
      return { N: formatDecimal(addDecimals(parseDecimal(left.N), parseDecimal(right.N), sign)) };
    }
    case 'size':
      throw DynamoDbError.validation(
        'Invalid UpdateExpression: The function is not allowed in an update expression; function: size',
      );
  }
}

const INVALID_PATH = 'The document path provided in the update expression is invalid for update';

/** The container holding the last element of `path`, created nowhere: a missing parent is an error. */
function parentOf(item: Item, path: DocumentPath): AttributeValue | Item {
  let current: AttributeValue | Item = item;
  for (const element of path.elements.slice(0, -1)) {
    let next: AttributeValue | undefined;
    if (element.kind === 'name') {
      const map: Item | undefined =
        current === item ? item : 'M' in current ? (current.M as Item) : undefined;
      next = map?.[element.name];
    } else {
      next = 'L' in current ? (current.L as AttributeValue[])[element.index] : undefined;
    }
    if (next === undefined) throw DynamoDbError.validation(INVALID_PATH);
    current = next;
  }
  return current;
}

function setPath(item: Item, path: DocumentPath, value: AttributeValue): void {
  const parent = parentOf(item, path);
  const last = path.elements[path.elements.length - 1];
  if (last === undefined) throw DynamoDbError.validation(INVALID_PATH);
  if (last.kind === 'name') {
    if (parent === item) item[last.name] = value;
    else if ('M' in parent) (parent.M as Item)[last.name] = value;
    else throw DynamoDbError.validation(INVALID_PATH);
  } else {
    if (parent === item || !('L' in parent)) throw DynamoDbError.validation(INVALID_PATH);
    const list = parent.L as AttributeValue[];
    // Beyond the end appends, as DynamoDB does.
    if (last.index >= list.length) list.push(value);
    else list[last.index] = value;
  }
}

/** Removes what `path` names; a missing attribute is no error. List elements go by descending index. */
function removePaths(item: Item, paths: DocumentPath[]): void {
  const sorted = [...paths].sort((a, b) => {
    const left = a.elements[a.elements.length - 1];
    const right = b.elements[b.elements.length - 1];
    return (right?.kind === 'index' ? right.index : -1) - (left?.kind === 'index' ? left.index : -1);
  });
  for (const path of sorted) {
    let parent: AttributeValue | Item;
    try {
      parent = parentOf(item, path);
    } catch {
      continue;
    }
    const last = path.elements[path.elements.length - 1];
    if (last === undefined) continue;
    if (last.kind === 'name') {
      if (parent === item) delete item[last.name];
      else if ('M' in parent) delete (parent.M as Item)[last.name];
    } else if (parent !== item && 'L' in parent) {
      (parent.L as AttributeValue[]).splice(last.index, 1);
    }
  }
}

function setMembers(value: AttributeValue): { type: 'SS' | 'NS' | 'BS'; members: string[] } | undefined {
  if ('SS' in value) return { type: 'SS', members: value.SS };
  if ('NS' in value) return { type: 'NS', members: value.NS };
  if ('BS' in value) return { type: 'BS', members: value.BS };
  return undefined;
}

function setValueOf(type: 'SS' | 'NS' | 'BS', members: string[]): AttributeValue {
  return type === 'SS' ? { SS: members } : type === 'NS' ? { NS: members } : { BS: members };
}

/**
 * The item after `actions`: every value is computed from `old` first, then SET, REMOVE, ADD and
 * DELETE are applied to a copy. `old` is the existing item, or just the key when there is none.
 */
export function applyUpdate(old: Item, actions: UpdateActions, values: Item | undefined): Item {
  const sets = actions.set.map((action) => ({
    path: action.path,
    value: updateOperand(action.value, old, values),
  }));
  const adds = actions.add.map((action) => {
    const value = placeholder(action.value.kind === 'value' ? action.value.name : '', values);
    const existing = getPath(old, action.path);
    if ('N' in value) {
      if (existing === undefined) return { path: action.path, value };
      if (!('N' in existing)) throw DynamoDbError.validation(INCORRECT_TYPE);
      return {
        path: action.path,
        value: { N: formatDecimal(addDecimals(parseDecimal(existing.N), parseDecimal(value.N))) },
      };
    }
    const added = setMembers(value);
    if (added === undefined)
      throw DynamoDbError.validation(
        `Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: ${typeOf(value)}`,
      );
    if (existing === undefined) return { path: action.path, value };
    const current = setMembers(existing);
    if (current === undefined || current.type !== added.type) throw DynamoDbError.validation(INCORRECT_TYPE);
    // Set members are stored canonical (numbers included), so string identity is set identity.
    const union = [...new Set([...current.members, ...added.members])];
    return { path: action.path, value: setValueOf(added.type, union) };
  });
  const deletes = actions.delete.map((action) => {
    const value = placeholder(action.value.kind === 'value' ? action.value.name : '', values);
    const removed = setMembers(value);
    if (removed === undefined)
      throw DynamoDbError.validation(
        `Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: ${typeOf(value)}`,
      );
    const existing = getPath(old, action.path);
    if (existing === undefined) return { path: action.path, value: undefined };
    const current = setMembers(existing);
    if (current === undefined || current.type !== removed.type)
      throw DynamoDbError.validation(INCORRECT_TYPE);
    const gone = new Set(removed.members);
    const left = current.members.filter((member) => !gone.has(member));
    return { path: action.path, value: left.length === 0 ? undefined : setValueOf(current.type, left) };
  });

  const next = cloneValue(old);
  for (const { path, value } of sets) setPath(next, path, cloneValue(value));
  removePaths(next, actions.remove);
  for (const { path, value } of adds) setPath(next, path, cloneValue(value));
  for (const { path, value } of deletes) {
    if (value === undefined) removePaths(next, [path]);
    else setPath(next, path, value);
  }
  return next;
}

/** The top-level attributes an update touches (for `UPDATED_OLD` / `UPDATED_NEW`). */
export function updatedAttributes(actions: UpdateActions): Set<string> {
  const names = new Set<string>();
  for (const path of [
    ...actions.set.map((a) => a.path),
    ...actions.remove,
    ...actions.add.map((a) => a.path),
    ...actions.delete.map((a) => a.path),
  ]) {
    const first = path.elements[0];
    if (first?.kind === 'name') names.add(first.name);
  }
  return names;
}

/**
 * The attributes `paths` name, nested as in the item. A path through a list index projects the
 * whole list it goes through (a superset of DynamoDB's answer, which compacts the chosen elements).
 */
export function project(item: Item, paths: DocumentPath[]): Item {
  const out: Item = {};
  for (const path of paths) {
    const firstIndex = path.elements.findIndex((element) => element.kind === 'index');
    const names = (firstIndex === -1 ? path.elements : path.elements.slice(0, firstIndex)).flatMap(
      (element) => (element.kind === 'name' ? [element.name] : []),
    );
    const value = getPath(item, { elements: names.map((name) => ({ kind: 'name', name })) });
    if (value === undefined) continue;
    let container: Item = out;
    names.forEach((name, index) => {
      if (index === names.length - 1) {
        container[name] = cloneValue(value);
        return;
      }
      const existing = container[name];
      const map: Item = existing !== undefined && 'M' in existing ? existing.M : {};
      container[name] = { M: map };
      container = map;
    });
  }
  return out;
}
