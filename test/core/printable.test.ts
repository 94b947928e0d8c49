import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { guardTerminal } from '../../cli/terminal.js';
import type { Action } from '../../shared/core/actions.js';
import type { LoggerPort } from '../../shared/core/ports.js';
import { printable, printableLines } from '../../shared/core/printable.js';
import { renderAction, renderNote } from '../../shared/core/render.js';
import { readableLogger } from '../../shared/lambda/runtime.js';
import { clip } from '../../shared/notify/text.js';

/**
 * Values from AWS and from events reach terminals, log lines and messages people read: terminal
 * escapes, carriage returns, line breaks and bidirectional overrides are shown as escapes (or, in
 * notifications, flattened), never obeyed.
 */
const HOSTILE = 'web\u001b[2J\u001b]0;owned\u0007\rline\nbreak\u202eevil\u0085';

describe('printable', () => {
  it.each([
    { why: 'a terminal escape sequence', input: '\u001b[31mred', shown: '\\u001b[31mred' },
    { why: 'a bell and a carriage return', input: 'a\u0007b\rc', shown: 'a\\u0007b\\u000dc' },
    { why: 'a line break, which would forge a line', input: 'a\nb', shown: 'a\\u000ab' },
    { why: 'a right-to-left override', input: 'abc\u202etxt.exe', shown: 'abc\\u202etxt.exe' },
    { why: 'a C1 control', input: 'a\u0085b', shown: 'a\\u0085b' },
    {
      why: 'text in other scripts, emoji and tabs, kept',
      input: 'héllo 日本 😀\tx',
      shown: 'héllo 日本 😀\tx',
    },
  ])('one line: $why', ({ input, shown }) => {
    expect(printable(input)).toBe(shown);
  });

  it('several lines: line feeds kept, the rest escaped', () => {
    expect(printableLines('one\u001b[0m\ntwo\r\n')).toBe('one\\u001b[0m\ntwo\\u000d\n');
  });

  it('escapes stay valid inside JSON strings', () => {
    const json = printableLines(JSON.stringify({ name: 'a\u202eb\u0085' }));
    expect(JSON.parse(json)).toEqual({ name: 'a\u202eb\u0085' });
  });
});

describe('where values are shown', () => {
  it('a plan line quoting a tag value from AWS stays one printable line', () => {
    const action: Action = {
      kind: 'tag',
      id: 'tag/us-east-1/ami-1',
      region: 'us-east-1',
      imageIds: ['ami-1'],
      resourceIds: ['ami-1'],
      changes: [{ key: 'team', value: 'web', previous: HOSTILE }],
    };
    const line = renderAction(action);
    expect(line).toBe(printable(line));
    expect(line).not.toContain('\n');
    expect(line).toContain('\\u001b[2J');
  });

  it('a plan note quoting an image name stays one printable line', () => {
    const line = renderNote({ region: 'us-east-1', imageId: 'ami-1', message: `name ${HOSTILE}` });
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toContain('\\u202e');
  });

  it("the CLI's output streams escape what they are given and keep the tool's own lines", () => {
    const stream = new PassThrough() as unknown as NodeJS.WriteStream;
    let written = '';
    (stream as unknown as PassThrough).on('data', (chunk: Buffer) => {
      written += chunk.toString('utf8');
    });
    guardTerminal(stream);
    stream.write(`first ${HOSTILE}\nsecond\n`);
    stream.write(Buffer.from('third\u001b[0m\n'));
    expect(written).toBe(
      `first web\\u001b[2J\\u001b]0;owned\\u0007\\u000dline\nbreak\\u202eevil\\u0085\nsecond\nthird\\u001b[0m\n`,
    );
  });

  it("the functions' log messages are printable; their structured fields are left to JSON", () => {
    const lines: [string, Record<string, unknown>[]][] = [];
    const sink: LoggerPort = {
      debug: (m, ...e) => lines.push([m, e]),
      info: (m, ...e) => lines.push([m, e]),
      warn: (m, ...e) => lines.push([m, e]),
      error: (m, ...e) => lines.push([m, e]),
    };
    readableLogger(sink).warn(`image ${HOSTILE} left alone`, { name: HOSTILE });
    expect(lines).toEqual([[`image ${printable(HOSTILE)} left alone`, [{ name: HOSTILE }]]]);
  });

  it('a notification flattens breaks and drops bidirectional overrides', () => {
    expect(clip(`golden\u202e1.2\nlinux`)).toBe('golden 1.2 linux');
  });
});
