import './ui/style.css';
import { startApp } from './ui/app';

startApp(document.getElementById('app')!).catch((e: unknown) => {
  const p = document.createElement('p');
  p.className = 'status error';
  p.textContent = `tabtune could not start: ${e instanceof Error ? e.message : String(e)}`;
  document.getElementById('app')!.replaceChildren(p);
  console.error(e);
});
