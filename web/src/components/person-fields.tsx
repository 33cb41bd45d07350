import type { ProgramView } from '../types.ts';
import { SelectField, TextField } from './ui.tsx';

export interface PersonValues {
  firstName: string;
  lastName: string;
  email: string;
}

/** The program picker and the name and email fields that new members and referrals share. */
export function PersonFields(props: {
  programs: ProgramView[];
  programId: string;
  onProgram: (id: string) => void;
  values: PersonValues;
  onChange: (values: PersonValues) => void;
  fieldError: (field: string) => string | undefined;
}) {
  const set = (key: keyof PersonValues) => (value: string) =>
    props.onChange({ ...props.values, [key]: value });
  return (
    <>
      <SelectField
        label="Program"
        value={props.programId}
        onChange={props.onProgram}
        options={props.programs.map((p) => ({ value: p.id, label: p.name }))}
      />
      <div className="row-fields">
        <TextField
          label="First name"
          value={props.values.firstName}
          onChange={set('firstName')}
          error={props.fieldError('firstName')}
        />
        <TextField
          label="Last name"
          value={props.values.lastName}
          onChange={set('lastName')}
          error={props.fieldError('lastName')}
        />
      </div>
      <TextField
        label="Email"
        type="email"
        value={props.values.email}
        onChange={set('email')}
        error={props.fieldError('email')}
      />
    </>
  );
}

/** Empty text becomes null, as the API expects for "not given". */
export function personBody(values: PersonValues) {
  return {
    firstName: values.firstName || null,
    lastName: values.lastName || null,
    email: values.email || null,
  };
}
