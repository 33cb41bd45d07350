import { Badge } from './ui.tsx';

/** How each sales entry outcome and push action looks: the badge colour and the word people read. */
const entryLooks: Record<string, { kind: string; label: string }> = {
  received: { kind: 'pending', label: 'Processing' },
  success: { kind: 'approved', label: 'Success' },
  ignored: { kind: 'neutral', label: 'Ignored' },
  review: { kind: 'qualified', label: 'Review' },
  failed: { kind: 'denied', label: 'Failed' },
};

export function EntryStatus(props: { status: string }) {
  const look = entryLooks[props.status] ?? { kind: 'neutral', label: props.status };
  return <Badge kind={look.kind}>{look.label}</Badge>;
}

export const entryOutcomeOptions = [
  { value: '', label: 'Any outcome' },
  { value: 'success', label: 'Success' },
  { value: 'ignored', label: 'Ignored' },
  { value: 'review', label: 'Review' },
  { value: 'failed', label: 'Failed' },
  { value: 'received', label: 'Processing' },
];

const pushLooks: Record<string, string> = {
  created: 'approved',
  updated: 'approved',
  skipped: 'neutral',
  denied: 'denied',
  failed: 'denied',
  waiting: 'pending',
};

export function PushAction(props: { action: string }) {
  return (
    <Badge kind={pushLooks[props.action] ?? 'neutral'}>
      {props.action.charAt(0).toUpperCase() + props.action.slice(1)}
    </Badge>
  );
}

export const sourceLabels: Record<string, string> = {
  api: 'API',
  poll: 'Catch-up poll',
  salesforce_outbound: 'Salesforce outbound message',
  salesforce_transition: 'Salesforce flow (status change)',
  hubspot_webhook: 'HubSpot webhook',
};
