import { Link } from '../router.tsx';
import type { ConnectionView } from '../types.ts';
import { formatDate } from './ui.tsx';

/** Short titles of the health alert codes; the alert's own words say the rest. */
export const alertTitles: Record<string, string> = {
  connection_needs_reauth: 'Needs reconnecting',
  crm_rate_limited: 'The CRM is rate limiting refsync',
  crm_field_missing: 'A field is gone from the CRM',
  crm_object_missing: 'An object is gone from the CRM',
  events_not_arriving: 'CRM events are not arriving',
};

/** A connection's health alerts, in their words, with since when; nothing when all is well. */
export function ConnectionAlerts(props: { connection: ConnectionView; label?: string; href?: string }) {
  const alerts = props.connection.health.alerts;
  if (alerts.length === 0) return null;
  return (
    <section
      className="notice notice-warning"
      aria-label={props.label ?? `Alerts of ${props.connection.name}`}
      data-testid="connection-alerts"
    >
      {props.label ? (
        <p className="alert-heading">
          {props.href ? <Link href={props.href}>{props.label}</Link> : props.label}
        </p>
      ) : null}
      <ul className="alert-list">
        {alerts.map((alert) => (
          <li key={alert.key}>
            <strong>{alertTitles[alert.code] ?? alert.code}</strong>{' '}
            <span className="hint">since {formatDate(alert.since)}</span>
            <p>{alert.message}</p>
          </li>
        ))}
      </ul>
    </section>
  );
}
