import { describe, expect, it } from 'vitest';
import { npmKeptMessage, optionsNpmKept, portErrorMessage } from '../../demo/options.js';

describe('optionsNpmKept', () => {
  it('finds the demo options npm exported as its own config instead of passing them on', () => {
    // What npm 11 sets for `npm start --serve --rules=x.yaml --copy-delay-ms 5` (checked by running it).
    expect(
      optionsNpmKept(
        { npm_config_serve: 'true', npm_config_rules: 'x.yaml', npm_config_copy_delay_ms: 'true' },
        ['5'],
      ),
    ).toEqual(['--serve', '--copy-delay-ms 5', '--rules x.yaml']);
    expect(optionsNpmKept({ npm_config_port: 'true' }, ['5000'])).toEqual(['--port 5000']);
    expect(optionsNpmKept({ npm_config_json: 'true' })).toEqual(['--json']);
  });

  it('cannot tell which split-off value is whose, and says so with placeholders', () => {
    expect(optionsNpmKept({ npm_config_port: 'true', npm_config_rules: 'true' }, ['5000', 'x.yaml'])).toEqual(
      ['--port <port>', '--rules <file>'],
    );
  });

  it('finds nothing in an ordinary environment, or in npm configs the demo does not share', () => {
    expect(optionsNpmKept({ npm_config_loglevel: 'verbose', npm_lifecycle_event: 'start' })).toEqual([]);
    expect(optionsNpmKept({ npm_config_serve: '' })).toEqual([]);
  });
});

describe('npmKeptMessage', () => {
  it('is one line naming the options and the command that passes them on', () => {
    const message = npmKeptMessage(['--serve', '--port 5000']);
    expect(message).toBe(
      "npm start: npm took --serve, --port as its own options and did not pass them to the demo; put the demo's options after --: npm start -- --serve --port 5000",
    );
    expect(message).not.toContain('\n');
  });
});

describe('portErrorMessage', () => {
  const listenError = (code: string) => Object.assign(new Error(`listen ${code}: 127.0.0.1:4566`), { code });

  it('names a taken port and what to do, in one line', () => {
    const message = portErrorMessage(listenError('EADDRINUSE'), 4566);
    expect(message).toMatch(/^npm start: port 4566 on 127\.0\.0\.1 is already in use/);
    expect(message).toContain('--port N');
    expect(message).toContain('leave out --port');
    expect(message).not.toContain('\n');
    expect(portErrorMessage(listenError('EACCES'), 80)).toMatch(
      /^npm start: not allowed to listen on port 80;/,
    );
  });

  it('leaves any other error, or one without --port, to be reported as it is', () => {
    expect(portErrorMessage(new Error('boom'), 4566)).toBeUndefined();
    expect(portErrorMessage(listenError('EADDRINUSE'), undefined)).toBeUndefined();
    expect(portErrorMessage('EADDRINUSE', 4566)).toBeUndefined();
  });
});
