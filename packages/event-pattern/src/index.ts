/**
 * EventBridge event patterns as EventBridge evaluates them, with no AWS call: compile a pattern
 * (rejecting what `PutRule` would reject), test an event against it, and parse JSON the way
 * EventBridge reads numbers. Used by the tool's `test-pattern` command and by the emulator's bus.
 */
export {
  isPlainObject,
  JsonNumber,
  JsonSyntaxError,
  parseJson,
  TEST_EVENT_REQUIRED_FIELDS,
  testEventProblem,
} from './json.js';
export {
  compilePattern,
  type EventPattern,
  InvalidEventPatternError,
  PATTERN_OPERATORS,
  testEventPattern,
} from './pattern.js';
