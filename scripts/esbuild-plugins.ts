/**
 * esbuild plugins for the two things this repository bundles: the Lambda functions (serverless.yml
 * loads this file's default export through serverless-esbuild's `plugins` option) and the CLI
 * (`scripts/build-cli.ts`). What each one cuts is measured by `npm run bench -- coldstart`.
 *
 * Node.js loads this file directly (serverless-esbuild `require`s it, and Node 24 strips the types),
 * so it imports nothing but Node's own modules and types: no other TypeScript file of the repository.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Plugin } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '..');

/**
 * zod's entry points re-export every locale as a namespace (`export * as locales`), which esbuild
 * cannot tree-shake: 264 KB of error messages in some fifty languages that nothing here reads. The
 * locales index is replaced by one that exports English only, the locale zod configures itself with.
 */
export function zodEnglishOnly(): Plugin {
  return {
    name: 'zod-english-only',
    setup(build) {
      build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
        /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
          ? { path: 'zod-locales-en', namespace: 'zod-english-only', pluginData: args.importer }
          : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({
        contents: 'export { default as en } from "./en.js";\n',
        resolveDir: join(dirname(String(args.pluginData)), '..', 'locales'),
        loader: 'js',
      }));
    },
  };
}

/**
 * The AWS SDK clients describe every shape of their service in one generated module
 * (`schemas_0.js`: the EC2 client's is 555 KB minified, for some 700 operations). Its object
 * literals use computed keys naming string constants (`{ [_xN]: _bC }`), and esbuild keeps any
 * statement with a computed key, so every shape stays in the bundle and runs at cold start. Each
 * such key is rewritten to the string the constant holds (`{ "xmlName": _bC }`): the same objects,
 * and esbuild then drops the shapes of the operations the code never calls.
 */
export function shakeableSdkSchemas(): Plugin {
  return {
    name: 'shakeable-sdk-schemas',
    setup(build) {
      build.onLoad(
        { filter: /[\\/]@aws-sdk[\\/][^\\/]+[\\/]dist-es[\\/](?:.+[\\/])?schemas[\\/]schemas_\d+\.js$/ },
        async (args) => ({ contents: literalSchemaKeys(await readFile(args.path, 'utf8')), loader: 'js' }),
      );
    },
  };
}

/** `[_name]:` → `"value":` wherever `const _name = "value";` is a top-level string constant of the module. */
export function literalSchemaKeys(source: string): string {
  const strings = new Map<string, string>();
  for (const [, name, literal] of source.matchAll(/^const (_\w+) = ("[^"\\\n]*");$/gm)) {
    if (name !== undefined && literal !== undefined) strings.set(name, literal);
  }
  return source.replace(/\[(_\w+)\]:/g, (whole, name: string) => {
    const literal = strings.get(name);
    return literal === undefined ? whole : `${literal}:`;
  });
}

/**
 * In a function bundle, `shared/lambda/rules-file.ts` (YAML or JSON) is `rules-file.lambda.ts`
 * (JSON only): the functions read the rules JSON written at package time, so the YAML parser
 * (116 KB) stays out of the bundle.
 */
export function lambdaRulesFile(): Plugin {
  return {
    name: 'lambda-rules-file',
    setup(build) {
      build.onResolve({ filter: /^\.\/rules-file\.js$/ }, (args) =>
        args.importer.startsWith(join(ROOT, 'shared', 'lambda'))
          ? { path: join(dirname(args.importer), 'rules-file.lambda.ts') }
          : undefined,
      );
    },
  };
}

/**
 * In the function bundles of a package that traces (params.tracing "true"), `shared/lambda/tracing.ts`
 * (no tracing, imports nothing) is `tracing.on.ts` (Powertools Tracer and the X-Ray SDK). Off, the
 * default, the plugin does nothing: the bundles are byte for byte those of a tool without tracing.
 */
export function lambdaTracing(on: boolean): Plugin {
  const off = join(ROOT, 'shared', 'lambda', 'tracing.js');
  return {
    name: 'lambda-tracing',
    setup(build) {
      if (!on) return;
      build.onResolve({ filter: /^\.\.?\/(?:.*\/)?tracing\.js$/ }, (args) =>
        resolve(args.resolveDir, args.path) === off
          ? { path: join(ROOT, 'shared', 'lambda', 'tracing.on.ts') }
          : undefined,
      );
    },
  };
}

/** serverless.yml `custom.tracing` (params.tracing): "true" or "false", anything else is a mistake to stop on. */
export function tracingOn(value: unknown): boolean {
  if (value === undefined || value === false || value === 'false') return false;
  if (value === true || value === 'true') return true;
  throw new Error(`serverless.yml: params.tracing must be "true" or "false", not ${JSON.stringify(value)}`);
}

const compilations = new Map<string, Promise<void>>();

/**
 * Validates the operator's rules file and writes it as JSON where the functions read it, once per
 * process however many functions are bundled. A rules file that does not validate fails the
 * package with every problem listed, before anything is deployed.
 */
export function compiledRules(source: string, target: string): Plugin {
  return {
    name: 'compiled-rules',
    setup(build) {
      build.onStart(async () => {
        const key = `${source}\0${target}`;
        let compilation = compilations.get(key);
        if (compilation === undefined) {
          compilation = compileRulesFile(source, target);
          compilations.set(key, compilation);
        }
        try {
          await compilation;
          return {};
        } catch (error) {
          return { errors: [{ text: error instanceof Error ? error.message : String(error) }] };
        }
      });
    },
  };
}

const execFileAsync = promisify(execFile);

/** `scripts/compile-rules.ts` in a child process: the rules code is TypeScript, run through tsx. */
async function compileRulesFile(source: string, target: string): Promise<void> {
  try {
    await execFileAsync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'scripts', 'compile-rules.ts'),
        resolve(ROOT, source),
        resolve(ROOT, target),
      ],
      { cwd: ROOT },
    );
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(stderr || (error instanceof Error ? error.message : String(error)));
  }
}

/** What this file reads of the serverless instance serverless-esbuild passes in. */
interface Serverless {
  readonly service: {
    readonly custom?: {
      readonly rules?: { source?: unknown; compiled?: unknown };
      readonly tracing?: unknown;
    };
  };
}

/** serverless.yml `custom.esbuild.plugins`: the plugins of every function bundle. */
export default function lambdaPlugins(serverless: Serverless): Plugin[] {
  const { source, compiled } = serverless.service.custom?.rules ?? {};
  const tracing = tracingOn(serverless.service.custom?.tracing);
  if (typeof source !== 'string' || typeof compiled !== 'string') {
    throw new Error('serverless.yml: custom.rules.source and custom.rules.compiled must be paths');
  }
  return [
    zodEnglishOnly(),
    shakeableSdkSchemas(),
    lambdaRulesFile(),
    lambdaTracing(tracing),
    compiledRules(source, compiled),
  ];
}
