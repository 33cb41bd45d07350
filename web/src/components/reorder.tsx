import { type DragEvent, type ReactNode, useState } from 'react';

/**
 * A list the user reorders by dragging (HTML5 drag and drop) or with the Move up / Move down
 * buttons (keyboard and screen readers). Each move is announced.
 */
export function ReorderList<T>(props: {
  items: T[];
  onChange: (items: T[]) => void;
  label: (item: T) => string;
  children: (item: T, index: number) => ReactNode;
  listLabel: string;
}) {
  const [dragged, setDragged] = useState<number | undefined>();
  const [announcement, setAnnouncement] = useState('');
  const move = (from: number, to: number) => {
    if (to < 0 || to >= props.items.length || from === to) return;
    const items = [...props.items];
    const [item] = items.splice(from, 1);
    if (item === undefined) return;
    items.splice(to, 0, item);
    props.onChange(items);
    setAnnouncement(`${props.label(item)} moved to position ${to + 1} of ${items.length}`);
  };
  return (
    <>
      <ol className="reorder" aria-label={props.listLabel}>
        {props.items.map((item, index) => (
          <li
            // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place; position is their identity
            key={index}
            className={`reorder-item${dragged === index ? ' dragging' : ''}`}
            draggable
            onDragStart={(event: DragEvent) => {
              setDragged(index);
              event.dataTransfer.effectAllowed = 'move';
              event.dataTransfer.setData('text/plain', String(index));
            }}
            onDragOver={(event) => event.preventDefault()}
            onDrop={(event) => {
              event.preventDefault();
              const from = Number(event.dataTransfer.getData('text/plain'));
              if (Number.isInteger(from)) move(from, index);
              setDragged(undefined);
            }}
            onDragEnd={() => setDragged(undefined)}
          >
            <span className="drag-handle" aria-hidden="true" title="Drag to reorder">
              ⋮⋮
            </span>
            <div className="reorder-body">{props.children(item, index)}</div>
            <div className="reorder-buttons">
              <button
                type="button"
                className="button button-small"
                aria-label={`Move ${props.label(item)} up`}
                disabled={index === 0}
                onClick={() => move(index, index - 1)}
              >
                ↑
              </button>
              <button
                type="button"
                className="button button-small"
                aria-label={`Move ${props.label(item)} down`}
                disabled={index === props.items.length - 1}
                onClick={() => move(index, index + 1)}
              >
                ↓
              </button>
            </div>
          </li>
        ))}
      </ol>
      <p className="visually-hidden" aria-live="polite">
        {announcement}
      </p>
    </>
  );
}
