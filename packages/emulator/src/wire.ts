/** Small pieces of AWS's wire formats that several emulators share. */

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Escapes text for XML element content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

/** A message attribute as SQS and SNS carry it: a type, and a string or a base64 blob. */
export interface WireMessageAttribute {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: string;
}

/** How SQS and SNS count message attributes against the message size: name, type and value bytes. */
export function messageAttributesBytes(attributes: Readonly<Record<string, WireMessageAttribute>>): number {
  return Object.entries(attributes).reduce(
    (n, [name, value]) =>
      n +
      Buffer.byteLength(name) +
      Buffer.byteLength(value.DataType) +
      (value.BinaryValue !== undefined
        ? Buffer.from(value.BinaryValue, 'base64').length
        : Buffer.byteLength(value.StringValue ?? '')),
    0,
  );
}
