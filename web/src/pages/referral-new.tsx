import { type FormEvent, useState } from 'react';
import { api } from '../api.ts';
import { CustomFieldInputs } from '../components/custom-fields.tsx';
import { PersonFields, personBody } from '../components/person-fields.tsx';
import { NeedsProgram } from '../components/programs.tsx';
import { Notice, PageHeader, TextField, useSubmit } from '../components/ui.tsx';
import { navigate, useTitle } from '../router.tsx';
import type { ProgramView, ReferralView } from '../types.ts';

export function NewReferralPage() {
  useTitle('Add referral');
  return (
    <>
      <PageHeader title="Add referral" subtitle="Record a referred prospect by hand." />
      <NeedsProgram what="A referral">{(programs) => <ReferralForm programs={programs} />}</NeedsProgram>
    </>
  );
}

function ReferralForm(props: { programs: ProgramView[] }) {
  const [programId, setProgramId] = useState(props.programs[0]?.id ?? '');
  const [values, setValues] = useState({
    firstName: '',
    lastName: '',
    email: '',
    company: '',
    phone: '',
    referralCode: '',
  });
  const [customFields, setCustomFields] = useState<Record<string, unknown>>({});
  const submit = useSubmit();
  const program = props.programs.find((p) => p.id === programId);
  const set = (key: keyof typeof values) => (value: string) => setValues({ ...values, [key]: value });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void submit.run(async () => {
      const referral = await api.post<ReferralView>('/referrals', {
        programId,
        ...personBody(values),
        company: values.company || null,
        phone: values.phone || null,
        ...(values.referralCode ? { referralCode: values.referralCode } : {}),
        customFields,
      });
      navigate(`/referrals/${referral.id}`);
    });
  };
  return (
    <form className="card form" onSubmit={onSubmit} aria-label="New referral">
      <Notice error={submit.error} />
      <PersonFields
        programs={props.programs}
        programId={programId}
        onProgram={setProgramId}
        values={values}
        onChange={(person) => setValues({ ...values, ...person })}
        fieldError={submit.fieldError}
      />
      <div className="row-fields">
        <TextField
          label="Company"
          value={values.company}
          onChange={set('company')}
          error={submit.fieldError('company')}
        />
        <TextField
          label="Phone"
          value={values.phone}
          onChange={set('phone')}
          error={submit.fieldError('phone')}
        />
      </div>
      <TextField
        label="Referred by (member's referral code)"
        value={values.referralCode}
        onChange={set('referralCode')}
        error={submit.fieldError('referralCode')}
      />
      <CustomFieldInputs
        fields={program?.referralFields ?? []}
        values={customFields}
        onChange={setCustomFields}
        fieldError={submit.fieldError}
      />
      <button type="submit" className="button button-primary" disabled={submit.busy}>
        Add referral
      </button>
    </form>
  );
}
