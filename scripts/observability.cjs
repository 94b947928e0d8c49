// `${file(./scripts/observability.cjs):dashboardBody}` in serverless.yml: the dashboard that
// scripts/observability.ts generates from the code's metrics table, for the stage and the regions
// of the rules file (what scripts/rules-iam.cjs derives), computed once per `serverless` run.
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');
const rulesIam = require('./rules-iam.cjs');

const ROOT = join(__dirname, '..');
let derived;

module.exports.dashboardBody = async ({ resolveVariable }) => {
  if (derived === undefined) {
    const stage = await resolveVariable('sls:stage');
    const regions = await rulesIam.regions({ resolveVariable });
    const args = [
      '--import',
      'tsx',
      join(ROOT, 'scripts', 'observability.ts'),
      String(stage),
      regions.join(','),
    ];
    try {
      derived = JSON.parse(
        execFileSync(process.execPath, args, {
          cwd: ROOT,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );
    } catch (error) {
      throw new Error(`scripts/observability.ts: ${String(error.stderr || error.message).trim()}`);
    }
  }
  return derived.dashboardBody;
};
