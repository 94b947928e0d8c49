import { CopyImageCommand, DescribeImagesCommand, DescribeRegionsCommand } from '@aws-sdk/client-ec2';
import fc from 'fast-check';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchesAny, wildcardPattern } from '../src/ec2/filters.js';
import { SUPPORTED_ACTIONS } from '../src/ec2/index.js';
import { buildQueryTree, parseQueryRequest } from '../src/ec2/query.js';
import { startLocalServer } from '../src/server.js';
import { escapeXml } from '../src/wire.js';
import { expectEc2Error, type Harness, rawRequest, startHarness } from './ec2-harness.js';

const xml = new XMLParser({ ignoreAttributes: false, parseTagValue: false });

describe('EC2 Query protocol over HTTP', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ disabledRegions: ['ap-east-1'] });
  });
  afterAll(() => h.close());

  it('answers a form POST with <ActionResponse xmlns>, a requestId, and the same id in x-amzn-requestid', async () => {
    const response = await rawRequest(h.server.endpoint, {
      Action: 'DescribeRegions',
      Version: '2016-11-15',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/xml/);
    const doc = xml.parse(response.body);
    const root = doc.DescribeRegionsResponse;
    expect(root['@_xmlns']).toBe('http://ec2.amazonaws.com/doc/2016-11-15/');
    expect(root.requestId).toBe(response.headers.get('x-amzn-requestid'));
    expect(root.regionInfo.item).toHaveLength(17);
    expect(root.regionInfo.item[0]).toEqual({
      regionName: 'ap-northeast-1',
      regionEndpoint: 'ec2.ap-northeast-1.amazonaws.com',
      optInStatus: 'opt-in-not-required',
    });
  });

  it('accepts the same parameters as a GET query string', async () => {
    const response = await rawRequest(
      h.server.endpoint,
      { Action: 'DescribeRegions', Version: '2016-11-15', 'RegionName.1': 'eu-west-1' },
      { method: 'GET' },
    );
    expect(response.status).toBe(200);
    expect(xml.parse(response.body).DescribeRegionsResponse.regionInfo.item.regionName).toBe('eu-west-1');
  });

  it('answers an unknown action with InvalidAction 400 in the <Response><Errors> shape with RequestID', async () => {
    const response = await rawRequest(h.server.endpoint, { Action: 'LaunchRockets', Version: '2016-11-15' });
    expect(response.status).toBe(400);
    const doc = xml.parse(response.body);
    expect(doc.Response.Errors.Error).toEqual({
      Code: 'InvalidAction',
      Message: 'The action LaunchRockets is not valid for this web service.',
    });
    expect(doc.Response.RequestID).toBe(response.headers.get('x-amzn-requestid'));
  });

  it('answers a request without Action with MissingAction', async () => {
    const response = await rawRequest(h.server.endpoint, { Version: '2016-11-15' });
    expect(response.status).toBe(400);
    expect(xml.parse(response.body).Response.Errors.Error.Code).toBe('MissingAction');
  });

  it('answers a missing required parameter with MissingParameter naming it', async () => {
    const response = await rawRequest(h.server.endpoint, {
      Action: 'DescribeImageAttribute',
      ImageId: 'ami-12345678',
    });
    expect(response.status).toBe(400);
    expect(xml.parse(response.body).Response.Errors.Error).toEqual({
      Code: 'MissingParameter',
      Message: 'The request must contain the parameter Attribute',
    });
  });

  it('survives a body that is not valid form encoding', async () => {
    const response = await fetch(`${h.server.endpoint}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=%E0%A4%A&&&==%%',
    });
    expect(response.status).toBe(400);
    const after = await rawRequest(h.server.endpoint, { Action: 'DescribeRegions' });
    expect(after.status).toBe(200);
  });

  it('answers DryRun=true with DryRunOperation 412 for every supported action', async () => {
    for (const action of SUPPORTED_ACTIONS) {
      const response = await rawRequest(h.server.endpoint, {
        Action: action,
        Version: '2016-11-15',
        DryRun: 'true',
      });
      expect({ action, status: response.status }).toEqual({ action, status: 412 });
      expect(xml.parse(response.body).Response.Errors.Error).toEqual({
        Code: 'DryRunOperation',
        Message: 'Request would have succeeded, but DryRun flag is set.',
      });
    }
  });

  it('reports DryRun through the SDK as DryRunOperation and changes nothing', async () => {
    const { imageId } = h.emulator.seedImage({
      region: 'us-east-1',
      name: 'dry-run-source',
      emitEvent: false,
    });
    await expectEc2Error(
      h.client('eu-west-1').send(
        new CopyImageCommand({
          Name: 'dry',
          SourceImageId: imageId,
          SourceRegion: 'us-east-1',
          DryRun: true,
        }),
      ),
      'DryRunOperation',
      412,
    );
    expect(h.emulator.listImages('eu-west-1').filter((image) => image.name === 'dry')).toEqual([]);
  });

  it('acts in the region of the SigV4 credential scope, several regions behind one endpoint', async () => {
    h.emulator.seedImage({ region: 'eu-central-1', name: 'only-in-frankfurt', emitEvent: false });
    const frankfurt = await h.client('eu-central-1').send(new DescribeImagesCommand({ Owners: ['self'] }));
    const ireland = await h.client('eu-west-1').send(new DescribeImagesCommand({ Owners: ['self'] }));
    expect(frankfurt.Images?.map((image) => image.Name)).toContain('only-in-frankfurt');
    expect(ireland.Images?.map((image) => image.Name)).not.toContain('only-in-frankfurt');
  });

  it('refuses calls signed for a disabled region with AuthFailure 401', async () => {
    await expectEc2Error(h.client('ap-east-1').send(new DescribeImagesCommand({})), 'AuthFailure', 401);
    await expectEc2Error(h.client('xx-nowhere-1').send(new DescribeImagesCommand({})), 'AuthFailure', 401);
  });

  it('escapes XML in every text value and the SDK reads the original text back', async () => {
    const nasty = `<b>"Fish" & 'Chips'</b> ]]>`;
    const { imageId } = h.emulator.seedImage({
      region: 'us-west-2',
      name: 'escaping',
      description: nasty,
      tags: { [nasty]: nasty },
      emitEvent: false,
    });
    const raw = await rawRequest(
      h.server.endpoint,
      { Action: 'DescribeImages', 'ImageId.1': imageId },
      { region: 'us-west-2' },
    );
    expect(raw.body).not.toContain(nasty);
    expect(raw.body).toContain(escapeXml(nasty));
    const out = await h.client('us-west-2').send(new DescribeImagesCommand({ ImageIds: [imageId] }));
    expect(out.Images?.[0]?.Description).toBe(nasty);
    expect(out.Images?.[0]?.Tags).toEqual([{ Key: nasty, Value: nasty }]);
  });

  it('lists regions through the SDK: enabled by default, all with AllRegions', async () => {
    const enabled = await h.client().send(new DescribeRegionsCommand({}));
    expect(enabled.Regions?.map((region) => region.RegionName)).not.toContain('ap-east-1');
    const all = await h.client().send(new DescribeRegionsCommand({ AllRegions: true }));
    expect(all.Regions?.find((region) => region.RegionName === 'ap-east-1')).toEqual({
      RegionName: 'ap-east-1',
      Endpoint: 'ec2.ap-east-1.amazonaws.com',
      OptInStatus: 'not-opted-in',
    });
    const named = await h
      .client()
      .send(new DescribeRegionsCommand({ RegionNames: ['ap-east-1', 'us-east-1'] }));
    expect(named.Regions?.map((region) => region.RegionName).sort()).toEqual(['ap-east-1', 'us-east-1']);
    const filtered = await h
      .client()
      .send(new DescribeRegionsCommand({ Filters: [{ Name: 'region-name', Values: ['eu-*'] }] }));
    expect(filtered.Regions?.map((region) => region.RegionName).sort()).toEqual([
      'eu-central-1',
      'eu-north-1',
      'eu-west-1',
      'eu-west-2',
      'eu-west-3',
    ]);
    const optIn = await h.client().send(
      new DescribeRegionsCommand({
        AllRegions: true,
        Filters: [{ Name: 'opt-in-status', Values: ['not-opted-in'] }],
      }),
    );
    expect(optIn.Regions?.map((region) => region.RegionName)).toEqual(['ap-east-1']);
    await expectEc2Error(
      h.client().send(new DescribeRegionsCommand({ Filters: [{ Name: 'colour', Values: ['blue'] }] })),
      'InvalidParameterValue',
    );
  });
});

describe('local server routing', () => {
  it('routes AWSEvents.* targets to eventbridge and answers a JSON error when none is mounted', async () => {
    const ec2 = async () => ({ status: 200, headers: {}, body: 'ec2' });
    const bare = await startLocalServer({ ec2 });
    try {
      const response = await fetch(`${bare.endpoint}/`, {
        method: 'POST',
        headers: { 'x-amz-target': 'AWSEvents.PutEvents', 'content-type': 'application/x-amz-json-1.1' },
        body: '{}',
      });
      expect(response.status).toBe(501);
      expect(await response.json()).toEqual({
        __type: 'NotImplemented',
        message: 'EventBridge is not emulated by this local server',
      });
    } finally {
      await bare.close();
    }
    const seen: string[] = [];
    const withEvents = await startLocalServer({
      ec2,
      eventbridge: async (request) => {
        seen.push(`${request.headers['x-amz-target']} ${request.body}`);
        return {
          status: 200,
          headers: { 'content-type': 'application/x-amz-json-1.1' },
          body: '{"ok":true}',
        };
      },
    });
    try {
      const routed = await fetch(`${withEvents.endpoint}/`, {
        method: 'POST',
        headers: { 'x-amz-target': 'AWSEvents.PutEvents' },
        body: '{"Entries":[]}',
      });
      expect(await routed.json()).toEqual({ ok: true });
      expect(seen).toEqual(['AWSEvents.PutEvents {"Entries":[]}']);
      const other = await fetch(`${withEvents.endpoint}/`, { method: 'POST', body: 'Action=X' });
      expect(await other.text()).toBe('ec2');
    } finally {
      await withEvents.close();
    }
  });

  it('answers 500 with a body when a service throws, and keeps serving', async () => {
    let calls = 0;
    const server = await startLocalServer({
      ec2: async () => {
        calls += 1;
        if (calls === 1) throw new Error('boom');
        return { status: 200, headers: {}, body: 'fine' };
      },
    });
    try {
      const failed = await fetch(`${server.endpoint}/`, { method: 'POST', body: '' });
      expect(failed.status).toBe(500);
      expect(await failed.text()).toContain('boom');
      const next = await fetch(`${server.endpoint}/`, { method: 'POST', body: '' });
      expect(await next.text()).toBe('fine');
    } finally {
      await server.close();
    }
  });

  it('listens on loopback only', async () => {
    await expect(
      startLocalServer({ host: '0.0.0.0', ec2: async () => ({ status: 200, headers: {}, body: '' }) }),
    ).rejects.toThrow(/loopback/);
  });
});

describe('query parsing', () => {
  it('nests dotted keys, orders list items numerically and keeps empty values distinct from absent ones', () => {
    const root = parseQueryRequest(
      '/?Action=DeleteTags',
      'Tag.10.Key=ten&Tag.2.Key=two&Tag.2.Value=&ResourceId.1=ami-12345678&Filter.1.Value.2=b&Filter.1.Value.1=a',
    );
    expect(root.string('Action')).toBe('DeleteTags');
    expect(root.items('Tag').map((tag) => tag.string('Key'))).toEqual(['two', 'ten']);
    expect(root.items('Tag').map((tag) => tag.string('Value'))).toEqual(['', undefined]);
    expect(root.items('Filter')[0]?.strings('Value')).toEqual(['a', 'b']);
    expect(root.child('Nothing.Here').present).toBe(false);
  });

  it('canonical form ignores parameter order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[A-Za-z]{1,6}(\.[1-9])?$/), fc.string()), (params) => {
        const pairs = Object.entries(params);
        const forward = buildQueryTree(pairs).canonical();
        const backward = buildQueryTree([...pairs].reverse()).canonical();
        expect(forward).toBe(backward);
      }),
    );
  });
});

describe('filter wildcards', () => {
  it('a value without wildcards matches only itself', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/[*?\\]/.test(s)),
        fc.string(),
        (value, other) => {
          expect(wildcardPattern(value).test(value)).toBe(true);
          expect(wildcardPattern(value).test(other)).toBe(other === value);
        },
      ),
    );
  });

  it('* matches any run, ? exactly one character, and backslash escapes them', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (prefix, rest) => {
        const literal = prefix.replace(/[*?\\]/g, '\\$&');
        expect(matchesAny([prefix + rest], [`${literal}*`])).toBe(true);
      }),
    );
    expect(matchesAny(['ami-1'], ['ami-?'])).toBe(true);
    expect(matchesAny(['ami-12'], ['ami-?'])).toBe(false);
    expect(matchesAny(['a*b'], ['a\\*b'])).toBe(true);
    expect(matchesAny(['axb'], ['a\\*b'])).toBe(false);
    expect(matchesAny(['Name'], ['name'])).toBe(false);
  });
});
