import { describe, expect, it } from 'vitest';
import { eventLine, shortenArns, wrap } from '../../demo/events.js';
import { EXAMPLES } from '../../schemas/examples.js';
import { DetailType, type DetailTypeName } from '../../shared/core/notifications.js';

/** The room a line has after the timeline's time and region columns (26) in 160 characters. */
const ROOM = 160 - 26;

describe('eventLine', () => {
  it("names EC2's image and state, and the failure message only when there is one", () => {
    const event = (State: string, ErrorMessage: string) => ({
      'detail-type': 'EC2 AMI State Change',
      detail: { RequestId: 'r', ImageId: 'ami-0123456789abcdef0', State, ErrorMessage },
    });
    expect(eventLine(event('available', ''))).toBe(
      'EC2 AMI State Change: ami-0123456789abcdef0 is available',
    );
    expect(eventLine(event('failed', 'KMS key disabled'))).toBe(
      'EC2 AMI State Change: ami-0123456789abcdef0 is failed: KMS key disabled',
    );
  });

  it('says in one short line what each of the tool events is about, from its published example', () => {
    for (const [detailType, detail] of Object.entries(EXAMPLES) as [DetailTypeName, unknown][]) {
      const line = eventLine({ 'detail-type': detailType, detail });
      expect(line.startsWith(`${detailType}: `)).toBe(true);
      expect(line).not.toContain('detail with');
      expect(line).not.toContain('{');
      expect(line.length, line).toBeLessThanOrEqual(ROOM);
    }
  });

  it('gives the family, regions and outcome of a distribution', () => {
    expect(
      eventLine({
        'detail-type': DetailType.DistributionStarted,
        detail: EXAMPLES[DetailType.DistributionStarted],
      }),
    ).toBe(
      'AMI Distribution Started: ami-0123456789abcdef0 (golden-linux): copying to eu-west-1, ap-southeast-2, us-west-2',
    );
    const completed = EXAMPLES[DetailType.DistributionCompleted];
    expect(eventLine({ 'detail-type': DetailType.DistributionCompleted, detail: completed })).toMatch(
      /^AMI Distribution Completed: ami-0123456789abcdef0 \(golden-linux\): available in 4 regions, shared with /,
    );
    const pending = {
      ...completed,
      regions: completed.regions.map((r, i) => (i === 3 ? { ...r, status: 'pending' as const } : r)),
    };
    expect(eventLine({ 'detail-type': DetailType.DistributionCompleted, detail: pending })).toContain(
      `available in ${completed.regions
        .slice(0, 3)
        .map((r) => r.region)
        .join(', ')}; pending in ${completed.regions[3]?.region}`,
    );
  });

  it("names the target account of a member's reconcile report, and no account for the hub's own", () => {
    const report = EXAMPLES[DetailType.ReconcileReport];
    const { account: _, ...hub } = report;
    expect(eventLine({ 'detail-type': DetailType.ReconcileReport, detail: hub })).toMatch(
      new RegExp(`^Reconcile Report: ${hub.region}`),
    );
    expect(
      eventLine({ 'detail-type': DetailType.ReconcileReport, detail: { ...hub, account: '222222222222' } }),
    ).toMatch(new RegExp(`^Reconcile Report: account 222222222222 ${hub.region}`));
  });

  it('names the fields of a detail it does not know, rather than printing it whole', () => {
    expect(eventLine({ 'detail-type': 'Something Else', detail: { a: 1, b: { c: 2 } } })).toBe(
      'Something Else: detail with a, b',
    );
    expect(eventLine({ 'detail-type': DetailType.DistributionStarted, detail: { rule: 'x' } })).toBe(
      'AMI Distribution Started: detail with rule',
    );
  });
});

describe('shortenArns', () => {
  it('keeps the part of an ARN a reader tells it by', () => {
    expect(
      shortenArns(
        'encrypted with arn:aws:kms:eu-west-1:111122223333:key/0f6c1a2b-3c4d, OU arn:aws:organizations::111122223333:ou/o-exampleorgid/ou-ab12-cdef3456, arn:aws:organizations::111122223333:organization/o-exampleorgid',
      ),
    ).toBe('encrypted with key/0f6c1a2b-3c4d, OU ou-ab12-cdef3456, o-exampleorgid');
  });
});

describe('wrap', () => {
  it('cuts at separators first, then at spaces, and indents the lines after the first', () => {
    expect(wrap('a=1, b=2, c=3', 9, 2)).toEqual(['a=1, b=2,', '  c=3']);
    expect(wrap('copy ami-1 from us-east-1 as golden', 16, 2)).toEqual([
      'copy ami-1 from',
      '  us-east-1 as',
      '  golden',
    ]);
    expect(wrap('short', 160, 4)).toEqual(['short']);
    expect(wrap('averyveryverylongword', 5, 1)).toEqual(['averyveryverylongword']);
  });
});
