// `${file(./scripts/rules-iam.cjs):NAME}` in serverless.yml: NAME of what scripts/rules-iam.ts
// derives from the rules file (params.rulesFile) and the kmsKeyArns param, computed once per
// `serverless` run. The rules code is TypeScript: it runs in a child process through tsx.
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
let derived;

async function derive(resolveVariable) {
  // The params first, then whether the rules are derived yet: osls resolves the variables that name
  // this file concurrently, and each call that looked before its awaits found nothing yet and ran
  // the child again (nine times a `serverless package`, one after the other since execFileSync
  // blocks). The params are asked of every call: osls may answer "not yet" and call again later.
  const rulesFile = await resolveVariable('param:rulesFile');
  const keyArns = await resolveVariable("param:kmsKeyArns, ''");
  if (derived === undefined) {
    const args = ['--import', 'tsx', join(ROOT, 'scripts', 'rules-iam.ts'), join(ROOT, String(rulesFile))];
    try {
      const out = execFileSync(process.execPath, [...args, String(keyArns ?? '')], {
        cwd: ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      derived = JSON.parse(out);
    } catch (error) {
      throw new Error(`scripts/rules-iam.ts ${rulesFile}: ${String(error.stderr || error.message).trim()}`);
    }
  }
  return derived;
}

for (const name of [
  'regions',
  'tagKeys',
  'ruleNames',
  'snapshotShareAccounts',
  'ec2ViaServices',
  'namesKmsKeys',
  'kmsStatements',
  'publishesPointers',
  'pointerStatements',
  'readsOrganizations',
  'organizationsStatements',
  'namesMemberRoles',
  'memberRoleStatements',
]) {
  module.exports[name] = async ({ resolveVariable }) => (await derive(resolveVariable))[name];
}
