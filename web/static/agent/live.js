// The live channel: server-sent events from /agent/api/live. While it is open the agent is
// online (and gets tickets); its events say what to fetch again. A new ticket for the agent
// plays a short sound, unless muted (kept in this browser).

import { $ } from "./common.js";

const MUTED_KEY = "agentConsoleMuted";
let source = null;
let audio = null;

export function muted() { return localStorage.getItem(MUTED_KEY) === "1"; }

function showMute() {
  $("mute").textContent = muted() ? "🔕" : "🔔";
  $("mute").title = muted() ? "已静音，点击打开提示音 · Muted: click for sound" : "提示音，点击静音 · Sound: click to mute";
  $("mute").setAttribute("aria-pressed", String(muted()));
}

// A short two-note chime made on the spot (no file to fetch, nothing for the CSP to allow).
function chime() {
  audio = audio || new AudioContext();
  const start = audio.currentTime;
  [880, 1320].forEach(function (frequency, index) {
    const tone = audio.createOscillator();
    const volume = audio.createGain();
    tone.frequency.value = frequency;
    volume.gain.setValueAtTime(0.15, start + index * 0.15);
    volume.gain.exponentialRampToValueAtTime(0.001, start + index * 0.15 + 0.3);
    tone.connect(volume).connect(audio.destination);
    tone.start(start + index * 0.15);
    tone.stop(start + index * 0.15 + 0.3);
  });
}

// A new ticket for this agent: the sound (the title's count is tickets.js's).
export function announce() {
  if (muted()) return;
  document.body.dataset.chimes = String(Number(document.body.dataset.chimes || 0) + 1);
  try { chime(); } catch (noAudio) { /* a browser without audio output */ }
}

// `on`: {tickets(), conversation(ticketId), signedOut()}.
export function connect(on) {
  disconnect();
  source = new EventSource("/agent/api/live");
  source.addEventListener("hello", function () { on.tickets(); });
  source.addEventListener("tickets", function () { on.tickets(); });
  source.addEventListener("conversation", function (event) { on.conversation(JSON.parse(event.data).ticket_id); });
  source.addEventListener("signed_out", function () { disconnect(); on.signedOut(); });
  source.addEventListener("error", function () {
    // EventSource reconnects by itself, except after a refusal (signed out): ask who we are.
    if (source && source.readyState === EventSource.CLOSED) { disconnect(); on.lost(); }
  });
}

export function disconnect() {
  if (source) source.close();
  source = null;
}

export function setUpMute() {
  showMute();
  $("mute").addEventListener("click", function () {
    localStorage.setItem(MUTED_KEY, muted() ? "0" : "1");
    showMute();
  });
}
