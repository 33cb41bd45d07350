import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { valueIssues } from '../src/core/outside-input.ts';
import { MalformedSoapError, parseOutboundMessage } from '../src/crm/salesforce/hooks/soap.ts';
import { soqlString } from '../src/crm/salesforce/soql.ts';
import { parseSoql } from '../src/sandbox/salesforce/soql/parser.ts';
import { expectEachRan, fuzz, fuzzRuns, fuzzTimeout, mutated, printFuzzCounts } from './helpers/fuzz.ts';
import { outboundMessage } from './helpers/salesforce-ingest.ts';

printFuzzCounts('fuzz-salesforce-parsers');
const runs = fuzzRuns.cheap;
const timeout = fuzzTimeout(runs, 10);

/** What hostile senders splice into XML: declarations, entities, CDATA, deep nesting. */
const xmlFragments = [
  '<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
  '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>',
  '<!doctype x>',
  '&xxe;',
  '&lol2;',
  '&#0;',
  '&#xD800;',
  '&#x110000;',
  '&amp;lt;',
  '<![CDATA[<Id>x</Id>]]>',
  '<?xml-stylesheet href="x"?>',
  '<!-- -->',
  '<sf:Id>001000000000001AAA</sf:Id>',
  '<Notification><Id>04l</Id></Notification>',
  '<__proto__>x</__proto__>',
  '<constructor/>',
  '<a>'.repeat(200),
  '</notifications>',
  ' xsi:nil="true"',
  '\u0000',
  '\uFEFF',
];

/** Characters XML 1.0 allows in text (no C0 controls but tab and line feed, no U+FFFE/FFFF). */
const xmlChar = fc
  .oneof(
    fc.string({ unit: 'grapheme', maxLength: 1, minLength: 1 }),
    fc.constantFrom('&', '<', '>', '"', "'", '\t', '\n', '\r', ' ', 'é', '漢', '😀', '\\'),
  )
  .filter((char) => {
    const code = char.codePointAt(0) ?? 0;
    return (
      (code >= 0x20 || code === 0x09 || code === 0x0a || code === 0x0d) && code !== 0xfffe && code !== 0xffff
    );
  });
const xmlText = fc.array(xmlChar, { maxLength: 24 }).map((chars) => chars.join(''));
const escapeXml = (text: string) =>
  text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;')
    .replaceAll('\r', '&#13;');
// Field names as Salesforce makes them: API names, never names of Object.prototype members.
const fieldName = fc
  .stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,20}$/)
  .filter((name) => !(name in Object.prototype) && name !== 'Id' && name !== 'prototype');
const notificationArb = fc.record({
  id: fc.stringMatching(/^04l[A-Za-z0-9]{15}$/),
  object: fc.constantFrom('Lead', 'Contact', 'Account', 'Opportunity'),
  fields: fc.dictionary(fieldName, xmlText, { maxKeys: 5 }),
});
const messageArb = fc.record({
  orgId: fc.stringMatching(/^00D[A-Za-z0-9]{15}$/),
  notifications: fc.uniqueArray(notificationArb, { minLength: 1, maxLength: 3, selector: (n) => n.id }),
});
const validSoap = outboundMessage('00D000000000001AAA', [
  { id: '04l000000000001AAA', fields: { Id: '00Q000000000001AAA', Status: 'Working', Email: 'a@b.co' } },
  { id: '04l000000000002AAA', object: 'Opportunity', fields: { Id: '006000000000001AAA', StageName: 'Won' } },
]);

/** Either a message or a MalformedSoapError, quickly; never another error, never a hang. */
function parsesOrRefuses(text: string) {
  const started = performance.now();
  try {
    const message = parseOutboundMessage(text);
    for (const notification of message.notifications) {
      expect(typeof notification.notificationId).toBe('string');
      expect(Object.getPrototypeOf(notification.fields)).toBe(Object.prototype);
      // Whatever was read is either storable or named by the rule for outside input.
      valueIssues(notification.fields);
    }
  } catch (error) {
    if (!(error instanceof MalformedSoapError)) throw error;
    expect(error.message.length).toBeGreaterThan(0);
  }
  expect(performance.now() - started).toBeLessThan(1000);
}

describe('Salesforce outbound-message parser', { timeout }, () => {
  it('reads back every notification and field value it was given', () => {
    fuzz(
      'soap: generated messages round-trip',
      messageArb,
      (message) => {
        const xml = outboundMessage(
          message.orgId,
          message.notifications.map((n) => ({
            id: n.id,
            object: n.object,
            fields: Object.fromEntries(Object.entries(n.fields).map(([k, v]) => [k, escapeXml(v)])),
          })),
        );
        const parsed = parseOutboundMessage(xml);
        expect(parsed.organizationId).toBe(message.orgId);
        expect(parsed.notifications.map((n) => n.notificationId)).toEqual(
          message.notifications.map((n) => n.id),
        );
        parsed.notifications.forEach((notification, index) => {
          const sent = message.notifications[index];
          expect(notification.objectType).toBe(sent?.object);
          expect(notification.fields).toEqual(sent?.fields);
        });
      },
      runs,
    );
  });

  it('refuses mutated messages with a MalformedSoapError, or reads them, never anything else', () => {
    fuzz('soap: mutated messages', mutated(validSoap, xmlFragments), parsesOrRefuses, runs);
  });

  it('survives arbitrary text', () => {
    fuzz(
      'soap: arbitrary text',
      fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ maxLength: 300 })),
      parsesOrRefuses,
      runs,
    );
  });

  it('refuses every DOCTYPE and entity declaration wherever it is put', () => {
    fuzz(
      'soap: declarations anywhere',
      fc.record({
        at: fc.nat(),
        declaration: fc.constantFrom(...xmlFragments.filter((f) => /<!(DOCTYPE|ENTITY)/i.test(f))),
        caseFlip: fc.boolean(),
      }),
      ({ at, declaration, caseFlip }) => {
        const where = at % (validSoap.length + 1);
        const text =
          validSoap.slice(0, where) +
          (caseFlip ? declaration.toLowerCase() : declaration) +
          validSoap.slice(where);
        expect(() => parseOutboundMessage(text)).toThrow(MalformedSoapError);
      },
      runs,
    );
  });
});

describe('SOQL escaping', { timeout }, () => {
  /** Values that try to leave their literal: quotes, backslashes, the classic OR. */
  const hostile = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc
      .array(
        fc.constantFrom(
          "'",
          '\\',
          '"',
          "' OR Name != '",
          "\\'",
          '%',
          '_',
          '\n',
          '\r',
          '\t',
          '\b',
          '\f',
          'x',
          ' ',
          ')',
          '(',
        ),
        { maxLength: 12 },
      )
      .map((parts) => parts.join('')),
  );

  it('round-trips: the sandbox SOQL parser reads back exactly the value, as one condition', () => {
    fuzz(
      'soql: escaped values round-trip',
      hostile,
      (value) => {
        const query = parseSoql(`SELECT Id FROM Lead WHERE Email = ${soqlString(value)} LIMIT 1`, Date.now());
        expect(query.where).toEqual({
          kind: 'compare',
          field: expect.objectContaining({ path: ['Email'] }),
          op: '=',
          value: { kind: 'string', value },
        });
      },
      runs,
    );
  });

  it('round-trips inside an IN list', () => {
    fuzz(
      'soql: IN lists round-trip',
      fc.array(hostile, { minLength: 1, maxLength: 5 }),
      (values) => {
        const query = parseSoql(
          `SELECT Id FROM Lead WHERE Email IN (${values.map(soqlString).join(', ')})`,
          Date.now(),
        );
        expect(query.where).toMatchObject({ kind: 'in', negate: false });
        const where = query.where as { values: Array<{ kind: string; value: string }> };
        expect(where.values).toEqual(values.map((value) => ({ kind: 'string', value })));
      },
      runs,
    );
  });
});

describe('case counts', () => {
  it('ran the promised number of cases', () => expectEachRan(runs));
});
