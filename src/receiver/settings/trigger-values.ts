import type { FieldIssue } from '../../core/errors.ts';
import type { CrmField } from '../../crm/types.ts';
import type { StatusTrigger } from '../tables.ts';

/** How many allowed values an issue lists before it stops. */
const LISTED_VALUES = 30;

/**
 * A trigger compares the record's value with its own, exactly; on a field the CRM holds to a
 * list, a value outside the list (often the label, `Closed Won` for `closedwon`) never fires.
 */
export function triggerValueIssues(
  triggers: readonly StatusTrigger[],
  fieldOf: (object: string, field: string) => CrmField | undefined,
): FieldIssue[] {
  return triggers.flatMap((trigger, index) => {
    const field = fieldOf(trigger.object, trigger.field);
    const options = field?.options;
    if (!field || !options || options.some((option) => option.value === trigger.value)) return [];
    const wanted = trigger.value.trim().toLowerCase();
    const meant = options.find(
      (option) => option.label.trim().toLowerCase() === wanted || option.value.toLowerCase() === wanted,
    );
    const allowed = options.map((option) => option.value);
    const listed =
      allowed.length > LISTED_VALUES
        ? `${allowed.slice(0, LISTED_VALUES).join(', ')}, ... (${allowed.length} in all)`
        : allowed.join(', ');
    const hint = meant ? `; did you mean \`${meant.value}\`?` : '';
    return [
      {
        field: `statusTriggers.${index}.value`,
        message: `${JSON.stringify(trigger.value)} is not a value of ${trigger.object}.${field.name} (allowed: ${listed})${hint}`,
      },
    ];
  });
}
