// The session room, before joining: the person's own camera picture and a microphone level
// meter, from the devices they pick, and the words of the therapist's status line. Served
// before room.js, which starts and stops the preview.
'use strict';
window.hearthPreview = (() => {
  const $ = (id) => document.getElementById(id);
  const video = $('preview-video');
  const meter = $('mic-level');
  const note = $('preview-note');
  // `generation` tells a getUserMedia call that finished after a newer start (or a stop)
  // to let its stream go.
  const preview = { stream: null, context: null, timer: null, generation: 0 };

  function stop() {
    preview.generation += 1;
    if (preview.timer) clearInterval(preview.timer);
    preview.timer = null;
    if (preview.context) preview.context.close().catch(() => {});
    preview.context = null;
    if (preview.stream) preview.stream.getTracks().forEach((t) => t.stop());
    preview.stream = null;
    if (video) video.srcObject = null;
    if (meter) meter.value = 0;
  }

  // The loudness of the microphone, ten times a second, on the meter.
  function listen(stream) {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context || !meter || stream.getAudioTracks().length === 0) return;
    const context = new Context();
    const analyser = context.createAnalyser();
    analyser.fftSize = 1024;
    context.createMediaStreamSource(stream).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    preview.context = context;
    preview.timer = setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const x of samples) sum += x * x;
      meter.value = Math.min(1, Math.sqrt(sum / samples.length) * 4);
    }, 100);
  }

  // Opens the chosen camera and microphone (`open` is the room's own getUserMedia call).
  async function start(open) {
    stop();
    const generation = preview.generation;
    if (!video || !navigator.mediaDevices) return;
    note.textContent = '';
    try {
      const stream = await open();
      if (generation !== preview.generation) {
        stream.getTracks().forEach((t) => t.stop());
        return;
      }
      preview.stream = stream;
      video.srcObject = stream;
      video.play().catch(() => {});
      listen(stream);
    } catch (e) {
      note.textContent = `Your camera or microphone could not be opened (${e.message}). Check that your browser may use them, or pick another one.`;
    }
  }

  // The cameras and microphones to pick from (named once the browser may use them).
  async function listDevices() {
    try {
      const devices = await navigator.mediaDevices.enumerateDevices();
      for (const [kind, select] of [['videoinput', $('camera')], ['audioinput', $('microphone')]]) {
        const chosen = select.value;
        select.length = 1;
        devices.filter((d) => d.kind === kind && d.deviceId).forEach((d, i) => {
          const option = new Option(d.label || `${kind === 'videoinput' ? 'Camera' : 'Microphone'} ${i + 1}`, d.deviceId);
          select.add(option);
        });
        select.value = chosen;
      }
    } catch (e) {
      console.warn('devices', e);
    }
  }

  // Browsers start sound only once the person has done something on the page.
  const resume = () => {
    if (preview.context && preview.context.state === 'suspended') preview.context.resume().catch(() => {});
  };
  document.addEventListener('pointerdown', resume);
  document.addEventListener('keydown', resume);
  window.addEventListener('pagehide', stop);

  // The therapist's status line: what just changed (from one roster to the next) and who is
  // where now. `seen` maps each other participant's id to their last roster entry.
  const names = (list) => (list.length < 2 ? list.join('') : `${list.slice(0, -1).join(', ')} and ${list[list.length - 1]}`);
  function changes(seen, participants, you) {
    const now = new Map(participants.filter((p) => p.id !== you).map((p) => [p.id, p]));
    const joined = [];
    const left = [];
    const gaveUp = [];
    for (const [id, p] of now) {
      const was = seen.get(id);
      if (p.presence === 'in_room' && (!was || was.presence !== 'in_room')) joined.push(p.name);
    }
    for (const [id, was] of seen) {
      if (now.has(id)) continue;
      (was.presence === 'in_room' ? left : gaveUp).push(was.name);
    }
    // A reconnect is a leave and a join of the same person.
    const back = joined.filter((n) => left.includes(n));
    const news = [
      back.length ? `${names(back)} reconnected.` : '',
      joined.filter((n) => !back.includes(n)).length ? `${names(joined.filter((n) => !back.includes(n)))} joined the session.` : '',
      left.filter((n) => !back.includes(n)).length ? `${names(left.filter((n) => !back.includes(n)))} left the session.` : '',
      gaveUp.length ? `${names(gaveUp)} left the waiting room.` : '',
    ].filter(Boolean).join(' ');
    return { seen: now, news };
  }
  function summary(seen, news, connection) {
    const people = [...seen.values()];
    const inRoom = people.filter((p) => p.presence === 'in_room').map((p) => p.name);
    const waiting = people.filter((p) => p.presence === 'waiting').map((p) => p.name);
    return [
      news,
      connection,
      inRoom.length ? `In the room with you: ${names(inRoom)}.` : 'Nobody else is in the room yet.',
      waiting.length ? `${names(waiting)} ${waiting.length === 1 ? 'is' : 'are'} in the waiting room.` : '',
    ].filter(Boolean).join(' ');
  }

  return { start, stop, state: preview, listDevices, changes, summary };
})();
