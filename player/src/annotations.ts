/**
 * Drawings on the paused frame: freehand, arrows and rectangles, kept as shapes in coordinates
 * normalised to the picture (0…1 across its width and height, whatever size it is shown at), and
 * drawn over the picture whenever the playhead is on a commented frame. The geometry and the api's
 * limits (shapes, points in all) are pure.
 */
import { annotationLimits } from '@mediavault/core/review';
import type { Annotation, CommentShape } from './review-api.ts';

/** The api's limits (core/src/review.ts), so that the page never draws what it cannot send. */
export const { shapes: maxShapes, points: maxPoints } = annotationLimits;
/** Freehand points closer than this (a fraction of the picture) to the last one kept add nothing. */
const freehandStep = 0.004;

export type Tool = CommentShape['kind'];
export type Point = [number, number];

export const annotationColors = ['#ff4d4f', '#ffd400', '#35d07f', '#4da3ff', '#ffffff'] as const;

/** Where the picture sits in a box showing it with object-fit: contain. */
export function pictureRect(
  box: { width: number; height: number },
  picture: { width: number; height: number },
): { left: number; top: number; width: number; height: number } {
  if (!(picture.width > 0 && picture.height > 0)) return { left: 0, top: 0, ...box };
  const scale = Math.min(box.width / picture.width, box.height / picture.height);
  const width = picture.width * scale;
  const height = picture.height * scale;
  return { left: Math.max(0, (box.width - width) / 2), top: Math.max(0, (box.height - height) / 2), width, height };
}

/** A point of the box as a normalised point of the picture, clamped to it, to 1/10,000. */
export function normalise(
  x: number,
  y: number,
  picture: { left: number; top: number; width: number; height: number },
): Point {
  const clamp = (value: number) => Math.round(Math.min(1, Math.max(0, value)) * 10_000) / 10_000;
  return [clamp((x - picture.left) / picture.width), clamp((y - picture.top) / picture.height)];
}

export function pointCount(shapes: readonly CommentShape[]): number {
  return shapes.reduce((total, shape) => total + (shape.kind === 'freehand' ? shape.points.length : 2), 0);
}

/** Whether one more shape of `points` points still fits the api's limits. */
export function fits(shapes: readonly CommentShape[], points: number): boolean {
  return shapes.length < maxShapes && pointCount(shapes) + points <= maxPoints;
}

/** Adds `point` to a freehand stroke unless it is within a step of the last one. */
export function extendStroke(points: number[][], point: Point): boolean {
  const last = points[points.length - 1];
  if (last && Math.hypot(point[0] - last[0]!, point[1] - last[1]!) < freehandStep) return false;
  points.push(point);
  return true;
}

/** Paints `annotation` over a picture occupying `rect` of the context. */
export function paint(
  context: CanvasRenderingContext2D,
  annotation: Annotation,
  rect: { left: number; top: number; width: number; height: number },
): void {
  // The spec types a point as number[]; the api only stores pairs.
  const at = (point: readonly number[]): Point => [
    rect.left + point[0]! * rect.width,
    rect.top + point[1]! * rect.height,
  ];
  context.strokeStyle = annotation.color ?? annotationColors[0];
  context.lineWidth = Math.max(2, rect.width / 300);
  context.lineCap = 'round';
  context.lineJoin = 'round';
  for (const shape of annotation.shapes) {
    context.beginPath();
    if (shape.kind === 'freehand') {
      shape.points.forEach((point, index) => {
        const [x, y] = at(point);
        if (index === 0) context.moveTo(x, y);
        else context.lineTo(x, y);
      });
    } else if (shape.kind === 'rect') {
      const [x1, y1] = at(shape.from);
      const [x2, y2] = at(shape.to);
      context.rect(Math.min(x1, x2), Math.min(y1, y2), Math.abs(x2 - x1), Math.abs(y2 - y1));
    } else {
      const [x1, y1] = at(shape.from);
      const [x2, y2] = at(shape.to);
      const angle = Math.atan2(y2 - y1, x2 - x1);
      const head = context.lineWidth * 5;
      context.moveTo(x1, y1);
      context.lineTo(x2, y2);
      context.moveTo(x2 - head * Math.cos(angle - Math.PI / 6), y2 - head * Math.sin(angle - Math.PI / 6));
      context.lineTo(x2, y2);
      context.lineTo(x2 - head * Math.cos(angle + Math.PI / 6), y2 - head * Math.sin(angle + Math.PI / 6));
    }
    context.stroke();
  }
}

export interface AnnotationLayer {
  /** What to show now: saved drawings of the frame on screen, and the draft if it belongs there. */
  show(saved: readonly Annotation[], draftVisible: boolean): void;
  /** Drawing with the pointer on (true) or off. */
  setDrawing(on: boolean): void;
  readonly drawing: boolean;
  setTool(tool: Tool): void;
  setColor(color: string): void;
  /** The draft's shapes so far (null when none). */
  draft(): Annotation | null;
  undo(): void;
  clear(): void;
}

/**
 * A canvas over `video` (same box). `onDraftChange` hears each change to the draft, so the page
 * can say what the comment will carry.
 */
export function createAnnotationLayer(
  canvas: HTMLCanvasElement,
  video: HTMLVideoElement,
  onDraftChange: (shapes: number) => void,
): AnnotationLayer {
  let shapes: CommentShape[] = [];
  let tool: Tool = 'freehand';
  let color: string = annotationColors[0];
  let drawing = false;
  let inProgress: CommentShape | null = null;
  let saved: readonly Annotation[] = [];
  let draftVisible = false;

  const rect = () =>
    pictureRect(canvas.getBoundingClientRect(), { width: video.videoWidth, height: video.videoHeight });
  const redraw = () => {
    const box = canvas.getBoundingClientRect();
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(box.width * ratio);
    canvas.height = Math.round(box.height * ratio);
    const context = canvas.getContext('2d');
    if (!context) return;
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    const picture = rect();
    for (const annotation of saved) paint(context, annotation, picture);
    const draftShapes = inProgress ? [...shapes, inProgress] : shapes;
    if ((draftVisible || drawing) && draftShapes.length > 0) paint(context, { shapes: draftShapes, color }, picture);
  };
  new ResizeObserver(redraw).observe(canvas);

  const pointFrom = (event: PointerEvent): Point => {
    const box = canvas.getBoundingClientRect();
    return normalise(event.clientX - box.left, event.clientY - box.top, rect());
  };
  canvas.addEventListener('pointerdown', (event) => {
    if (!drawing || !fits(shapes, 2)) return;
    canvas.setPointerCapture(event.pointerId);
    const point = pointFrom(event);
    inProgress = tool === 'freehand' ? { kind: 'freehand', points: [point] } : { kind: tool, from: point, to: point };
    redraw();
  });
  canvas.addEventListener('pointermove', (event) => {
    if (!inProgress || !canvas.hasPointerCapture(event.pointerId)) return;
    const point = pointFrom(event);
    if (inProgress.kind === 'freehand') {
      if (!fits(shapes, inProgress.points.length + 1) || !extendStroke(inProgress.points, point)) return;
    } else {
      inProgress.to = point;
    }
    redraw();
  });
  const finish = () => {
    if (!inProgress) return;
    const finished = inProgress;
    inProgress = null;
    const empty =
      finished.kind === 'freehand'
        ? finished.points.length < 2
        : finished.from[0] === finished.to[0] && finished.from[1] === finished.to[1];
    if (!empty) shapes.push(finished);
    redraw();
    onDraftChange(shapes.length);
  };
  canvas.addEventListener('pointerup', finish);
  canvas.addEventListener('pointercancel', finish);

  return {
    show(nowSaved, nowDraftVisible) {
      saved = nowSaved;
      draftVisible = nowDraftVisible;
      redraw();
    },
    setDrawing(on) {
      drawing = on;
      canvas.classList.toggle('drawing', on);
      redraw();
    },
    get drawing() {
      return drawing;
    },
    setTool(next) {
      tool = next;
    },
    setColor(next) {
      color = next;
      redraw();
    },
    draft: () => (shapes.length > 0 ? { shapes: structuredClone(shapes), color } : null),
    undo() {
      shapes.pop();
      redraw();
      onDraftChange(shapes.length);
    },
    clear() {
      shapes = [];
      inProgress = null;
      redraw();
      onDraftChange(0);
    },
  };
}
