import { CHILD_RELATIONSHIPS, type FieldDef, type ObjectDef } from '../schema.ts';

const SOAP_TYPES: Record<FieldDef['type'], string> = {
  id: 'tns:ID',
  reference: 'tns:ID',
  string: 'xsd:string',
  textarea: 'xsd:string',
  email: 'xsd:string',
  phone: 'xsd:string',
  url: 'xsd:string',
  picklist: 'xsd:string',
  boolean: 'xsd:boolean',
  double: 'xsd:double',
  currency: 'xsd:double',
  percent: 'xsd:double',
  int: 'xsd:int',
  date: 'xsd:date',
  datetime: 'xsd:dateTime',
};

const TEXT_TYPES = new Set(['id', 'reference', 'string', 'textarea', 'email', 'phone', 'url', 'picklist']);

export function describeField(field: FieldDef): Record<string, unknown> {
  const text = TEXT_TYPES.has(field.type);
  const length = text ? (field.length ?? 255) : 0;
  return {
    aggregatable: field.type !== 'textarea',
    autoNumber: false,
    byteLength: length * 3,
    calculated: false,
    caseSensitive: false,
    createable: field.createable,
    custom: field.custom,
    defaultValue: field.defaultValue ?? null,
    defaultedOnCreate: field.defaultValue !== undefined || field.name === 'OwnerId' || !field.createable,
    dependentPicklist: false,
    digits: field.type === 'int' ? (field.precision ?? 9) : 0,
    externalId: field.externalId ?? false,
    filterable: field.type !== 'textarea',
    groupable: text || field.type === 'boolean' || field.type === 'date',
    htmlFormatted: false,
    idLookup: field.idLookup ?? false,
    label: field.label,
    length,
    name: field.name,
    nameField: field.name === 'Name',
    nillable: !field.required && field.type !== 'boolean' && field.type !== 'id',
    picklistValues: (field.picklistValues ?? []).map((p) => ({
      active: true,
      defaultValue: p.default ?? false,
      label: p.label,
      validFor: null,
      value: p.value,
    })),
    precision: field.type === 'int' ? 0 : (field.precision ?? 0),
    referenceTo: field.referenceTo ?? [],
    relationshipName: field.relationshipName ?? null,
    restrictedPicklist: field.restricted ?? false,
    scale: field.scale ?? 0,
    soapType: SOAP_TYPES[field.type],
    sortable: field.type !== 'textarea',
    type: field.type,
    unique: field.unique ?? false,
    updateable: field.updateable,
  };
}

export function objectUrls(version: string, def: ObjectDef): Record<string, string> {
  const base = `/services/data/v${version}/sobjects/${def.name}`;
  return { sobject: base, describe: `${base}/describe`, rowTemplate: `${base}/{ID}` };
}

export function describeGlobalEntry(version: string, def: ObjectDef): Record<string, unknown> {
  return {
    activateable: false,
    createable: def.writable,
    custom: false,
    customSetting: false,
    deletable: def.writable,
    deprecatedAndHidden: false,
    feedEnabled: false,
    keyPrefix: def.keyPrefix,
    label: def.label,
    labelPlural: def.labelPlural,
    layoutable: true,
    mergeable: def.name === 'Lead' || def.name === 'Contact' || def.name === 'Account',
    name: def.name,
    queryable: true,
    replicateable: true,
    retrieveable: true,
    searchable: true,
    triggerable: true,
    undeletable: def.writable,
    updateable: def.writable,
    urls: objectUrls(version, def),
  };
}

export function describeObject(version: string, def: ObjectDef): Record<string, unknown> {
  return {
    ...describeGlobalEntry(version, def),
    childRelationships: CHILD_RELATIONSHIPS.filter((c) => c.parent === def.name).map((c) => ({
      cascadeDelete: false,
      childSObject: c.child,
      deprecatedAndHidden: false,
      field: c.field,
      junctionIdListNames: [],
      junctionReferenceTo: [],
      relationshipName: c.relationshipName,
      restrictedDelete: false,
    })),
    fields: def.fields.map(describeField),
    recordTypeInfos: [],
  };
}
