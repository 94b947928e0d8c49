import { escapeXml } from '../wire.js';
/**
 * XML rendering for EC2 Query responses
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Query-Requests.html#api-responses, and
 * the error response example in
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
 *
 * A response body is described as a plain object whose keys are element names, in output order:
 * - a string, number or boolean becomes `<name>text</name>` (text XML-escaped);
 * - `undefined` (or `null`) omits the element, as EC2 omits absent members;
 * - an array becomes a wrapped list, `<name><item>…</item>…</name>` (`<name/>` when empty);
 * - a nested object becomes a nested element.
 */
export type XmlScalar = string | number | boolean;
export type XmlValue = XmlScalar | XmlObject | XmlValue[] | undefined | null;
export interface XmlObject {
  [element: string]: XmlValue;
}

export const EC2_XML_NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';

function renderValue(name: string, value: XmlValue): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) {
    if (value.length === 0) return `<${name}/>`;
    return `<${name}>${value.map((item) => renderValue('item', item)).join('')}</${name}>`;
  }
  if (typeof value === 'object') return `<${name}>${renderFields(value)}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** Renders each field of `object` as a child element, in key order. */
export function renderFields(object: XmlObject): string {
  let out = '';
  for (const [name, value] of Object.entries(object)) out += renderValue(name, value);
  return out;
}

/** `<{Action}Response xmlns=…><requestId>…</requestId>…`: unlike awsQuery, no `Result` wrapper. */
export function successXml(action: string, requestId: string, body: XmlObject): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<${action}Response xmlns="${EC2_XML_NAMESPACE}">` +
    renderFields({ requestId, ...body }) +
    `</${action}Response>`
  );
}

/** `<Response><Errors><Error>…</Error></Errors><RequestID>…`: root `Response`, capital `ID`. */
export function errorXml(code: string, message: string, requestId: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<Response><Errors><Error>' +
    `<Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message>` +
    `</Error></Errors><RequestID>${escapeXml(requestId)}</RequestID></Response>`
  );
}

/** EC2's timestamp form in bodies: ISO-8601 UTC with milliseconds (`2026-01-01T00:00:00.000Z`). */
export function isoTime(date: Date): string {
  return date.toISOString();
}
