/**
 * What a connected CRM holds, as the settings editors pick from it: its objects, each
 * object's fields (with picklist values and pipeline stages), its campaigns and records.
 */

export interface CrmObjectView {
  name: string;
  label: string;
  pushable: boolean;
  triggerable: boolean;
}

export interface CrmOptionView {
  value: string;
  label: string;
  /** The pipeline a HubSpot deal stage belongs to. */
  group?: string | undefined;
}

export interface CrmFieldView {
  name: string;
  label: string;
  type: string;
  required: boolean;
  createable: boolean;
  updateable: boolean;
  custom: boolean;
  options?: CrmOptionView[] | undefined;
}

export interface CrmCampaignView {
  id: string;
  name: string;
  status?: string | undefined;
}

export interface CrmRecordView {
  object: string;
  id: string;
  label: string;
  email: string | null;
  url: string | null;
}

/** `Status (Status) · picklist · required`: how a CRM field is named in pickers. */
export function fieldLabel(field: CrmFieldView): string {
  const name = field.label && field.label !== field.name ? `${field.label} (${field.name})` : field.name;
  return `${name} · ${field.type}${field.required ? ' · required' : ''}`;
}

/** `Closed Won (closedwon)`: a listed value's label with the value records hold. */
export function optionLabel(option: CrmOptionView): string {
  return option.label && option.label !== option.value ? `${option.label} (${option.value})` : option.value;
}
