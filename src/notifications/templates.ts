/**
 * Email wording: `{{name}}` is replaced by a variable (HTML-escaped in the HTML part), and
 * `{{#name}}...{{/name}}` is kept only when the variable is not empty (a line about feedback
 * when there is some). Unknown variables become empty.
 */

export interface Template {
  subject: string;
  text: string;
  html: string;
}

export type Variables = Record<string, string | number | null | undefined>;

/** Emails a program can word its own way; admin alerts use the built-in wording. */
export const programTemplates = {
  'referral.milestone_changed': {
    subject: 'Your referral {{referral.name}} is now {{milestone.label}}',
    text:
      'Hi {{member.firstName}},\n\nYour referral {{referral.name}} moved to "{{milestone.label}}" in {{program.name}}.\n' +
      '{{#feedback}}\nFeedback: {{feedback}}\n{{/feedback}}\nThank you for referring!\n\n' +
      'Unsubscribe: {{unsubscribeUrl}}\n',
    html:
      '<p>Hi {{member.firstName}},</p><p>Your referral <strong>{{referral.name}}</strong> moved to ' +
      '&ldquo;{{milestone.label}}&rdquo; in {{program.name}}.</p>' +
      '{{#feedback}}<blockquote>{{feedback}}</blockquote>{{/feedback}}<p>Thank you for referring!</p>' +
      '<p style="font-size:small"><a href="{{unsubscribeUrl}}">Unsubscribe</a></p>',
  },
  'referral.milestone_changed.referred': {
    subject: 'An update from {{program.name}}',
    text: 'Hi {{referral.firstName}},\n\nYour request is now "{{milestone.label}}".\n\nUnsubscribe: {{unsubscribeUrl}}\n',
    html:
      '<p>Hi {{referral.firstName}},</p><p>Your request is now &ldquo;{{milestone.label}}&rdquo;.</p>' +
      '<p style="font-size:small"><a href="{{unsubscribeUrl}}">Unsubscribe</a></p>',
  },
  'reward.created': {
    subject: 'You earned a reward in {{program.name}}',
    text:
      'Hi {{member.firstName}},\n\nYou earned a reward{{#reward.amount}}: {{reward.amount}} {{reward.currency}}{{/reward.amount}}.\n\n' +
      'Unsubscribe: {{unsubscribeUrl}}\n',
    html:
      '<p>Hi {{member.firstName}},</p><p>You earned a reward{{#reward.amount}}: {{reward.amount}} ' +
      '{{reward.currency}}{{/reward.amount}}.</p><p style="font-size:small"><a href="{{unsubscribeUrl}}">Unsubscribe</a></p>',
  },
  'reward.paid': {
    subject: 'Your reward from {{program.name}} is on its way',
    text:
      'Hi {{member.firstName}},\n\nYour reward{{#reward.amount}} of {{reward.amount}} {{reward.currency}}{{/reward.amount}} was paid.\n\n' +
      'Unsubscribe: {{unsubscribeUrl}}\n',
    html:
      '<p>Hi {{member.firstName}},</p><p>Your reward{{#reward.amount}} of {{reward.amount}} {{reward.currency}}' +
      '{{/reward.amount}} was paid.</p><p style="font-size:small"><a href="{{unsubscribeUrl}}">Unsubscribe</a></p>',
  },
  'member.sign_in': {
    subject: 'Your sign-in link for {{program.name}}',
    text:
      'Hi {{member.firstName}},\n\nOpen this link to see your referrals and rewards in {{program.name}}:\n\n{{link}}\n\n' +
      'The link works once, until {{expiresAt}}. If you did not ask for it, ignore this email.\n',
    html:
      '<p>Hi {{member.firstName}},</p><p>Open this link to see your referrals and rewards in {{program.name}}:</p>' +
      '<p><a href="{{link}}">Sign in to your referral dashboard</a></p>' +
      '<p>The link works once, until {{expiresAt}}. If you did not ask for it, ignore this email.</p>',
  },
} as const satisfies Record<string, Template>;

export type ProgramTemplateName = keyof typeof programTemplates;
export const programTemplateNames = Object.keys(programTemplates) as ProgramTemplateName[];

/** Alerts for workspace admins, and their wording. */
export const adminTemplates = {
  review_needed: {
    subject: 'A sales entry needs your review',
    text: 'Sales entry {{entry.id}} waits for a decision: {{reason}}\n\nOpen it: {{entry.url}}\n',
    html: '<p>Sales entry <code>{{entry.id}}</code> waits for a decision: {{reason}}</p><p><a href="{{entry.url}}">Open it</a></p>',
  },
  connection_needs_reauth: {
    subject: 'A CRM connection needs reconnecting',
    text: 'Connection {{connection.id}} stopped working: {{reason}}\n\nReconnect it to resume pushes and events.\n',
    html: '<p>Connection <code>{{connection.id}}</code> stopped working: {{reason}}</p><p>Reconnect it to resume pushes and events.</p>',
  },
  connection_alert: {
    subject: 'CRM connection {{connection.name}}: {{alert.title}}',
    text:
      '{{alert.message}}\n\nSince {{alert.since}}. refsync clears this alert by itself once the condition ends.\n\n' +
      'Open the connection: {{connection.url}}\n',
    html:
      '<p>{{alert.message}}</p><p>Since {{alert.since}}. refsync clears this alert by itself once the condition ends.</p>' +
      '<p><a href="{{connection.url}}">Open the connection</a></p>',
  },
  connection_alert_cleared: {
    subject: 'CRM connection {{connection.name}}: resolved, {{alert.title}}',
    text: 'This is resolved (it began {{alert.since}}):\n\n{{alert.message}}\n\nOpen the connection: {{connection.url}}\n',
    html:
      '<p>This is resolved (it began {{alert.since}}):</p><blockquote>{{alert.message}}</blockquote>' +
      '<p><a href="{{connection.url}}">Open the connection</a></p>',
  },
  webhook_disabled: {
    subject: 'A webhook endpoint was disabled',
    text: 'refsync stopped sending to {{endpoint.url}}: {{reason}}\n\nFix it, enable it again and replay what failed.\n',
    html: '<p>refsync stopped sending to <code>{{endpoint.url}}</code>: {{reason}}</p><p>Fix it, enable it again and replay what failed.</p>',
  },
  reward_failed: {
    subject: 'A reward could not be issued',
    text: 'Reward {{reward.id}} failed: {{reason}}\n',
    html: '<p>Reward <code>{{reward.id}}</code> failed: {{reason}}</p>',
  },
  coupon_pool_empty: {
    subject: 'A coupon pool ran dry',
    text: 'Coupon pool {{pool.id}} has no codes left: {{reason}}\n',
    html: '<p>Coupon pool <code>{{pool.id}}</code> has no codes left: {{reason}}</p>',
  },
} as const satisfies Record<string, Template>;

export type AdminAlert = keyof typeof adminTemplates;
export const adminAlerts = Object.keys(adminTemplates) as AdminAlert[];

/** What a preview fills the variables with. */
export const sampleVariables: Variables = {
  'member.firstName': 'Ada',
  'member.lastName': 'Lovelace',
  'member.email': 'ada@example.com',
  'referral.firstName': 'Bob',
  'referral.lastName': 'Buyer',
  'referral.name': 'Bob Buyer',
  'referral.company': 'Prospect Ltd',
  'referral.email': 'bob@prospect.example',
  'milestone.code': 'qualified',
  'milestone.label': 'Qualified',
  feedback: 'Demo booked for Tuesday, thanks!',
  'program.name': 'Customer referrals',
  'reward.amount': '50.00',
  'reward.currency': 'USD',
  unsubscribeUrl: 'https://refsync.example/unsubscribe?token=sample',
};

const escapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => escapes[char] ?? char);
}

function render(source: string, variables: Variables, html: boolean): string {
  const value = (name: string) => {
    const raw = variables[name];
    return raw === null || raw === undefined ? '' : String(raw);
  };
  const withSections = source.replace(
    /\{\{#\s*([\w.]+)\s*\}\}([\s\S]*?)\{\{\/\s*\1\s*\}\}/g,
    (_, name: string, inner: string) => (value(name).trim() === '' ? '' : inner),
  );
  return withSections.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_, name: string) =>
    html ? escapeHtml(value(name)) : value(name),
  );
}

export function renderTemplate(template: Template, variables: Variables): Template {
  return {
    // A subject is one line, whatever a variable holds.
    subject: render(template.subject, variables, false).replace(/\s+/g, ' ').trim(),
    text: render(template.text, variables, false),
    html: render(template.html, variables, true),
  };
}
