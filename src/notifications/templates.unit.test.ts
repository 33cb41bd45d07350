import { describe, expect, it } from 'vitest';
import { programTemplates, renderTemplate } from './templates.ts';

describe('renderTemplate', () => {
  const template = {
    subject: 'Hi {{name}}',
    text: 'T {{name}}{{#note}} ({{note}}){{/note}}',
    html: '<p>{{name}}</p>',
  };

  it('escapes values in the HTML part only', () => {
    const out = renderTemplate(template, { name: '<Ada & "Bob">' });
    expect(out.html).toBe('<p>&lt;Ada &amp; &quot;Bob&quot;&gt;</p>');
    expect(out.text).toBe('T <Ada & "Bob">');
  });

  it('keeps a section only when its variable is not empty, and empties unknown variables', () => {
    expect(renderTemplate(template, { name: 'A', note: 'n' }).text).toBe('T A (n)');
    expect(renderTemplate(template, { name: 'A', note: '  ' }).text).toBe('T A');
    expect(renderTemplate(template, {}).text).toBe('T ');
  });

  it('keeps the subject on one line whatever a variable holds', () => {
    expect(renderTemplate(template, { name: 'A\r\nBcc: x@example.com' }).subject).toBe(
      'Hi A Bcc: x@example.com',
    );
  });

  it('puts the milestone feedback in the default referrer email', () => {
    const out = renderTemplate(programTemplates['referral.milestone_changed'], {
      'milestone.label': 'Qualified',
      feedback: 'Demo <booked>',
    });
    expect(out.text).toContain('Feedback: Demo <booked>');
    expect(out.html).toContain('<blockquote>Demo &lt;booked&gt;</blockquote>');
  });
});
