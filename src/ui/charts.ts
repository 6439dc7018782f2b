// Charts through Chart.js (a well-kept library; we do not draw charts by hand). Only the pieces we use are
// registered, to keep the bundle small; animations are off so live updates cost little main-thread time.
import {
  Chart,
  LineController,
  LineElement,
  PointElement,
  LinearScale,
  CategoryScale,
  BarController,
  BarElement,
  Legend,
  Tooltip,
  Filler,
} from 'chart.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, BarController, BarElement, Legend, Tooltip, Filler);
Chart.defaults.animation = false;
Chart.defaults.font.family = 'system-ui, sans-serif';

export interface Point {
  x: number;
  y: number;
}

/** Training loss per readback, validation loss per epoch (on the step axis), with the best epoch marked. */
export class LossChart {
  readonly chart: Chart<'line', Point[]>;
  constructor(canvas: HTMLCanvasElement) {
    this.chart = new Chart(canvas, {
      type: 'line',
      data: {
        datasets: [
          { label: 'training loss', data: [], borderColor: '#2563eb', backgroundColor: '#2563eb', pointRadius: 0, borderWidth: 2, tension: 0.2 },
          { label: 'validation loss', data: [], borderColor: '#dc2626', backgroundColor: '#dc2626', pointRadius: 4, borderWidth: 2 },
          { label: 'best epoch', data: [], borderColor: '#16a34a', backgroundColor: '#16a34a', pointRadius: 8, pointStyle: 'star', showLine: false },
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        scales: { x: { type: 'linear', title: { display: true, text: 'step' }, min: 0 }, y: { title: { display: true, text: 'loss' }, beginAtZero: true } },
        plugins: { legend: { position: 'bottom' } },
      },
    });
  }
  set(train: Point[], val: Point[], best: Point | null, totalSteps?: number): void {
    this.chart.data.datasets[0].data = train;
    this.chart.data.datasets[1].data = val;
    this.chart.data.datasets[2].data = best ? [best] : [];
    if (totalSteps) (this.chart.options.scales!.x as { max?: number }).max = totalSteps;
    this.chart.update('none');
  }
}

export class LrChart {
  readonly chart: Chart<'line', Point[]>;
  constructor(canvas: HTMLCanvasElement) {
    this.chart = new Chart(canvas, {
      type: 'line',
      data: { datasets: [{ label: 'learning rate', data: [], borderColor: '#9333ea', pointRadius: 0, borderWidth: 2, fill: false }] },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        scales: { x: { type: 'linear', title: { display: true, text: 'step' } }, y: { title: { display: true, text: 'learning rate' }, beginAtZero: true } },
        plugins: { legend: { display: false } },
      },
    });
  }
  set(points: Point[]): void {
    this.chart.data.datasets[0].data = points;
    this.chart.update('none');
  }
}

export class BarChart {
  readonly chart: Chart<'bar', number[], string>;
  constructor(canvas: HTMLCanvasElement, label: string) {
    this.chart = new Chart(canvas, {
      type: 'bar',
      data: { labels: [], datasets: [{ label, data: [], backgroundColor: '#0ea5e9' }] },
      options: { responsive: true, maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } },
    });
  }
  set(labels: string[], values: number[]): void {
    this.chart.data.labels = labels;
    this.chart.data.datasets[0].data = values;
    this.chart.update('none');
  }
}

/**
 * Redraws the charts inside an element that was hidden: Chart.js sizes a chart from its container, which is
 * 0 × 0 while its step is hidden; the data it received meanwhile is all there and is drawn at the new size.
 */
export function refreshCharts(root: ParentNode): void {
  root.querySelectorAll('canvas').forEach((canvas) => {
    const chart = Chart.getChart(canvas);
    if (!chart) return;
    chart.resize();
    chart.update('none');
  });
}

/** Every chart on the page: its canvas's label, drawn size and points per dataset (a hook for tests). */
export function chartsOnPage(): { label: string; width: number; height: number; points: number[] }[] {
  return [...document.querySelectorAll('canvas')].flatMap((canvas) => {
    const chart = Chart.getChart(canvas);
    return chart ? [{ label: canvas.getAttribute('aria-label') ?? '', width: chart.width, height: chart.height, points: chart.data.datasets.map((d) => d.data.length) }] : [];
  });
}
