import { describe, expect, it } from 'vitest';
import { sameOrg } from './entries.ts';
import { decodeXmlText, MalformedSoapError, notificationPayloads, parseOutboundMessage } from './soap.ts';

const envelope = (notifications: string, orgId = '00D5g000000AbCdEAF') =>
  '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n <soapenv:Body>\n  ' +
  '<notifications xmlns="http://soap.sforce.com/2005/09/outbound">\n   ' +
  `<OrganizationId>${orgId}</OrganizationId>\n   <ActionId>04k5g000000AbCdAAA</ActionId>\n   ` +
  `${notifications}\n  </notifications>\n </soapenv:Body>\n</soapenv:Envelope>`;

const notification = (id: string, type: string, fields: string) =>
  `<Notification>\n    <Id>${id}</Id>\n    <sObject xsi:type="sf:${type}" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">` +
  `\n     ${fields}\n    </sObject>\n   </Notification>`;

describe('parseOutboundMessage', () => {
  it('reads every notification, its object type, record ID, fields and time', () => {
    const message = parseOutboundMessage(
      envelope(
        notification(
          '04l1',
          'Lead',
          '<sf:Id>00Q1</sf:Id><sf:Company> Acme &amp; Sons </sf:Company><sf:Email xsi:nil="true"/>' +
            '<sf:LastModifiedDate>2026-01-01T10:00:00.000Z</sf:LastModifiedDate>' +
            '<sf:SystemModstamp>2026-01-01T10:00:01.000Z</sf:SystemModstamp><sf:Title></sf:Title>',
        ) + notification('04l2', 'Opportunity', '<sf:Id>0061</sf:Id><sf:Name>&#233;t&#xE9;</sf:Name>'),
      ),
    );
    expect(message.organizationId).toBe('00D5g000000AbCdEAF');
    expect(message.actionId).toBe('04k5g000000AbCdAAA');
    expect(message.notifications).toEqual([
      {
        notificationId: '04l1',
        objectType: 'Lead',
        recordId: '00Q1',
        fields: {
          Id: '00Q1',
          Company: ' Acme & Sons ',
          Email: null,
          LastModifiedDate: '2026-01-01T10:00:00.000Z',
          SystemModstamp: '2026-01-01T10:00:01.000Z',
          Title: '',
        },
        occurredAt: new Date('2026-01-01T10:00:01.000Z'),
      },
      {
        notificationId: '04l2',
        objectType: 'Opportunity',
        recordId: '0061',
        fields: { Id: '0061', Name: 'été' },
        occurredAt: undefined,
      },
    ]);
  });

  it.each([
    ['a DOCTYPE', `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${envelope('')}`, /DOCTYPE/],
    ['a lowercase doctype', `<!doctype x>${envelope('')}`, /DOCTYPE/],
    ['unclosed tags', '<soapenv:Envelope><soapenv:Body>', /Invalid|Unclosed/],
    ['no envelope', '<a/>', /no soapenv:Envelope/],
    [
      'no OrganizationId',
      envelope('').replace(/<OrganizationId>[^<]*<\/OrganizationId>/, ''),
      /OrganizationId/,
    ],
    ['a notification without sObject', envelope('<Notification><Id>04l1</Id></Notification>'), /sObject/],
    [
      'a reserved element name',
      envelope(notification('04l1', 'Lead', '<sf:__proto__>x</sf:__proto__>')),
      /./,
    ],
  ])('refuses %s', (_label, text, message) => {
    expect(() => parseOutboundMessage(text)).toThrow(MalformedSoapError);
    expect(() => parseOutboundMessage(text)).toThrow(message);
  });
});

describe('decodeXmlText', () => {
  it.each([
    ['a &lt;b&gt; &quot;c&quot; &apos;d&apos;', 'a <b> "c" \'d\''],
    ['&amp;lt;', '&lt;'],
    ['&#65;&#x42;', 'AB'],
    ['&undeclared; &#0; &#x110000;', '&undeclared; &#0; &#x110000;'],
  ])('decodes %j once', (text, decoded) => {
    expect(decodeXmlText(text)).toBe(decoded);
  });
});

describe('sameOrg', () => {
  it.each([
    ['00D5g000000AbCdEAF', '00D5g000000AbCdEAF', true],
    ['00D5g000000AbCd', '00D5g000000AbCdEAF', true],
    ['00D5g000000AbCdEAF', '00D5g000000AbCd', true],
    ['00D5g000000abcdEAF', '00D5g000000AbCdEAF', false],
    ['00D5g000000AbCdEAF', null, false],
    ['00D5g', '00D5g', false],
  ])('%s against %s: %s', (sent, accountId, same) => {
    expect(sameOrg(sent, accountId)).toBe(same);
  });
});

describe('notificationPayloads', () => {
  const three = envelope(
    notification('04l1', 'Lead', '<sf:Id>00Q1</sf:Id>') +
      notification('04l2', 'Lead', '<sf:Id>00Q2</sf:Id>') +
      notification('04l3', 'Opportunity', '<sf:Id>0063</sf:Id>'),
  );

  it('gives each notification the message with only itself in it, readable as a message of one', () => {
    const payloads = notificationPayloads(three, parseOutboundMessage(three));
    expect(payloads).toHaveLength(3);
    for (const [i, payload] of payloads.entries()) {
      const alone = parseOutboundMessage(payload);
      expect(alone.organizationId).toBe('00D5g000000AbCdEAF');
      expect(alone.actionId).toBe('04k5g000000AbCdAAA');
      expect(alone.notifications.map((n) => n.notificationId)).toEqual([`04l${i + 1}`]);
    }
    // Every byte of the message is in some payload: nothing sent is dropped.
    const [first = '', second = '', third = ''] = payloads;
    expect(first.length + second.length + third.length).toBeGreaterThan(three.length);
    expect(three).toContain(first.slice(first.indexOf('<Notification>'), first.indexOf('</Notification>')));
  });

  it('keeps the whole message for every entry when the text cannot be cut where the parser read', () => {
    const commented = three.replace('<soapenv:Body>', '<soapenv:Body><!-- <Notification> -->');
    const message = parseOutboundMessage(commented);
    expect(message.notifications).toHaveLength(3);
    expect(notificationPayloads(commented, message)).toEqual([commented, commented, commented]);
    const prefixed = three
      .replaceAll('<Notification>', '<out:Notification xmlns:out="http://soap.sforce.com/2005/09/outbound">')
      .replaceAll('</Notification>', '</out:Notification>');
    const cut = notificationPayloads(prefixed, parseOutboundMessage(prefixed));
    expect(
      cut.map((payload) => parseOutboundMessage(payload).notifications.map((n) => n.notificationId)),
    ).toEqual([['04l1'], ['04l2'], ['04l3']]);
  });
});
