import { useId } from 'react';
import { TableHead } from './ui.tsx';

export interface Bar {
  label: string;
  value: number;
  /** Shown after the value (e.g. "12 now"). */
  note?: string;
  tone?: string;
}

/** Horizontal bars in SVG (the funnel), with the same numbers as a table for screen readers. */
export function BarChart(props: { title: string; bars: Bar[]; unit: string }) {
  const id = useId();
  const max = Math.max(1, ...props.bars.map((bar) => bar.value));
  const rowHeight = 34;
  const labelWidth = 170;
  const width = 640;
  const barSpace = width - labelWidth - 120;
  const height = props.bars.length * rowHeight + 8;
  return (
    <figure className="chart" aria-labelledby={`${id}-title`}>
      <figcaption id={`${id}-title`}>{props.title}</figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby={`${id}-title`} data-chart="bars">
        <title>{props.title}</title>
        {props.bars.map((bar, index) => {
          const y = index * rowHeight + 4;
          const w = Math.round((bar.value / max) * barSpace);
          return (
            <g key={bar.label} data-label={bar.label} data-value={bar.value}>
              <text x={labelWidth - 10} y={y + 20} textAnchor="end" className="chart-label">
                {bar.label}
              </text>
              <rect
                x={labelWidth}
                y={y}
                width={barSpace}
                height={rowHeight - 8}
                className="chart-track"
                rx="4"
              />
              <rect
                x={labelWidth}
                y={y}
                width={Math.max(w, bar.value > 0 ? 3 : 0)}
                height={rowHeight - 8}
                className={`chart-bar tone-${bar.tone ?? 'pending'}`}
                rx="4"
              />
              <text x={labelWidth + barSpace + 10} y={y + 20} className="chart-value">
                {bar.value}
                {bar.note ? ` · ${bar.note}` : ''}
              </text>
            </g>
          );
        })}
      </svg>
      <table className="visually-hidden">
        <caption>{props.title}</caption>
        <thead>
          <tr>
            <th scope="col">Milestone</th>
            <th scope="col">{props.unit}</th>
          </tr>
        </thead>
        <tbody>
          {props.bars.map((bar) => (
            <tr key={bar.label}>
              <th scope="row">{bar.label}</th>
              <td>
                {bar.value}
                {bar.note ? ` (${bar.note})` : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

/** Columns per day in SVG, with the numbers as a table for screen readers. */
export function DayChart(props: { title: string; days: Array<{ day: string; count: number }> }) {
  const id = useId();
  const width = 640;
  const height = 160;
  const max = Math.max(1, ...props.days.map((day) => day.count));
  const step = width / Math.max(1, props.days.length);
  const total = props.days.reduce((sum, day) => sum + day.count, 0);
  const first = props.days[0]?.day ?? '';
  const last = props.days.at(-1)?.day ?? '';
  return (
    <figure className="chart" aria-labelledby={`${id}-title`}>
      <figcaption id={`${id}-title`}>
        {props.title} <span className="muted">({total} in all)</span>
      </figcaption>
      <svg
        viewBox={`0 0 ${width} ${height + 20}`}
        role="img"
        aria-labelledby={`${id}-title`}
        data-chart="days"
      >
        <title>{props.title}</title>
        <line x1="0" y1={height} x2={width} y2={height} className="chart-axis" />
        {props.days.map((day, index) => {
          const h = Math.round((day.count / max) * (height - 16));
          return (
            <rect
              key={day.day}
              x={index * step + 1}
              y={height - h}
              width={Math.max(1, step - 2)}
              height={h}
              className="chart-bar tone-pending"
            >
              <title>
                {day.day}: {day.count}
              </title>
            </rect>
          );
        })}
        <text x="0" y={height + 16} className="chart-label">
          {first}
        </text>
        <text x={width} y={height + 16} textAnchor="end" className="chart-label">
          {last}
        </text>
        <text x="4" y="12" className="chart-label">
          max {max}
        </text>
      </svg>
      <table className="visually-hidden">
        <caption>{props.title}</caption>
        <TableHead columns={['Day', 'Referrals']} />
        <tbody>
          {props.days
            .filter((day) => day.count > 0)
            .map((day) => (
              <tr key={day.day}>
                <th scope="row">{day.day}</th>
                <td>{day.count}</td>
              </tr>
            ))}
        </tbody>
      </table>
    </figure>
  );
}
