import { useState } from 'react';
import { type CrmCampaignView, searchCampaigns } from '../crm-meta.ts';
import { FoundList } from './crm-pickers.tsx';
import { Field, useSubmit } from './ui.tsx';

/** Salesforce campaigns found by name: pushed records join the one picked. */
export function CampaignPicker(props: {
  connectionId: string;
  value: string | null;
  onChange: (value: string | null) => void;
  error?: string | undefined;
}) {
  const [q, setQ] = useState('');
  const [found, setFound] = useState<CrmCampaignView[] | undefined>();
  const [names, setNames] = useState<Record<string, string>>({});
  const search = useSubmit();
  const run = () =>
    search.run(async () => {
      const list = await searchCampaigns(props.connectionId, q);
      setFound(list);
      setNames((known) => ({ ...known, ...Object.fromEntries(list.map((one) => [one.id, one.name])) }));
    });
  const current = props.value ? `${names[props.value] ?? 'Campaign'} (${props.value})` : 'No campaign';
  return (
    <div className="campaign-picker">
      <p>
        Pushed records join: <strong data-testid="campaign-current">{current}</strong>
        {props.value ? (
          <button
            type="button"
            className="button button-small inline-button"
            onClick={() => props.onChange(null)}
          >
            No campaign
          </button>
        ) : null}
      </p>
      {props.error ? <p className="field-error">{props.error}</p> : null}
      <div className="inline-form">
        <Field label="Find a campaign">
          {({ id }) => (
            <input
              id={id}
              value={q}
              placeholder="Name, or empty for all"
              onChange={(event) => setQ(event.target.value)}
              onKeyDown={(event) => {
                // Enter searches here; it must not save the settings form around the picker.
                if (event.key === 'Enter') {
                  event.preventDefault();
                  void run();
                }
              }}
            />
          )}
        </Field>
        <button type="button" className="button" disabled={search.busy} onClick={() => void run()}>
          Search campaigns
        </button>
      </div>
      {search.error ? (
        <p className="field-error" role="alert">
          {search.error.message}
        </p>
      ) : null}
      <FoundList
        found={found}
        legend="Campaigns found"
        none="No campaign matches."
        name="campaign"
        idOf={(campaign) => campaign.id}
        selected={props.value}
        onSelect={props.onChange}
      >
        {(campaign) => (
          <>
            {campaign.name} <code>{campaign.id}</code>
            {campaign.status ? <span className="check-hint">{campaign.status}</span> : null}
          </>
        )}
      </FoundList>
    </div>
  );
}
