// A list of fixed-height rows of which only the visible ones are in the DOM: tailing at
// 10k rows/s keeps a steady layout and a small DOM whatever the count.
import type { ComponentChildren } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";

interface Props<T> {
  items: readonly T[];
  rowHeight: number;
  /** Keeps the view at the bottom while it is there (a tail). */
  follow: boolean;
  render: (item: T, index: number) => ComponentChildren;
  label: string;
}

export function VirtualList<T>({ items, rowHeight, follow, render, label }: Props<T>) {
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(400);
  const atBottom = useRef(true);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useLayoutEffect(() => {
    const el = box.current;
    if (el && follow && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [items, follow]);

  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - 5);
  const last = Math.min(items.length, Math.ceil((scrollTop + height) / rowHeight) + 5);
  const visible = [];
  for (let i = first; i < last; i++) {
    visible.push(
      <div class="vrow" role="row" style={{ top: `${i * rowHeight}px`, height: `${rowHeight}px` }} key={i}>
        {render(items[i] as T, i)}
      </div>,
    );
  }
  return (
    <div
      class="vlist"
      ref={box}
      role="grid"
      aria-label={label}
      aria-rowcount={items.length}
      tabIndex={0}
      onScroll={(e) => {
        const el = e.currentTarget;
        setScrollTop(el.scrollTop);
        atBottom.current = el.scrollTop + el.clientHeight >= el.scrollHeight - rowHeight;
      }}
    >
      <div style={{ height: `${items.length * rowHeight}px`, position: "relative" }}>{visible}</div>
    </div>
  );
}
