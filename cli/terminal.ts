import { printableLines } from '../shared/core/printable.js';

/**
 * Everything a command prints passes here. What the CLI shows is full of text it does not control
 * (image names, tag values, error messages from AWS, fields of dead-lettered events, the rules
 * file's own values), and a terminal obeys escape sequences wherever they come from. So each
 * chunk written to the stream is made printable: line feeds and tabs stay, every other control
 * character and every bidirectional override becomes a visible `\uXXXX` escape. JSON output stays
 * valid JSON: those characters can only occur inside its strings, where `\uXXXX` is JSON's escape.
 */
export function guardTerminal(stream: NodeJS.WriteStream): void {
  const write = stream.write.bind(stream);
  const guarded = (chunk: unknown, ...rest: unknown[]): boolean => {
    const text =
      typeof chunk === 'string'
        ? printableLines(chunk)
        : chunk instanceof Uint8Array
          ? printableLines(Buffer.from(chunk).toString('utf8'))
          : chunk;
    return (write as (chunk: unknown, ...rest: unknown[]) => boolean)(text, ...rest);
  };
  stream.write = guarded as typeof stream.write;
}
