/** An EC2 AMI State Change event in `state`, as the JSON string TestEventPattern takes. */
export const amiStateChange = (state: string): string =>
  JSON.stringify({
    id: '1',
    account: '111122223333',
    source: 'aws.ec2',
    time: '2026-01-01T00:00:00Z',
    region: 'us-east-1',
    resources: [],
    'detail-type': 'EC2 AMI State Change',
    detail: { State: state },
  });
