// Hearth's session room: the only page with JavaScript. Plain WebRTC to Hearth's own SFU,
// signalling over the room's WebSocket (see crates/video/src/signal.rs for the messages).
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const roomEl = $('room');
  const isHost = roomEl.dataset.host === 'true';
  const state = {
    ws: null, pc: null, you: null, part: null, stream: null,
    names: new Map(), trackOwner: new Map(), tiles: new Map(),
    hello: null, over: false, retry: 0, chain: Promise.resolve(),
    muted: false, cameraOff: false, locked: false, admitted: false,
    // What the therapist turned off: the server stops forwarding it, so only the server can
    // turn it back on (when the therapist lets people unmute themselves).
    hostMuted: false, hostCameraOff: false, mayUnmute: true,
    // The therapist's status line: the others as last seen, what just changed, and how this
    // page's own connection is doing.
    lastStats: null, seen: new Map(), news: '', connection: '',
  };
  const preview = window.hearthPreview;
  // About two minutes of attempts (the wait doubles up to 10 s) before giving up.
  const MAX_RETRIES = 15;
  // For tests and debugging: the live peer connection and state.
  window.hearthRoom = state;

  const status = (text) => { $('status').textContent = text; };
  // How this page's connection is doing; on the therapist's page, with who is where.
  const connection = (text) => {
    state.connection = text;
    status(isHost ? preview.summary(state.seen, state.news, text) : text);
  };
  const send = (message) => {
    if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(message));
  };
  // Negotiation steps run one at a time, in the order they were asked for.
  const enqueue = (step) => {
    state.chain = state.chain.then(step).catch((e) => console.warn('negotiation', e));
    return state.chain;
  };

  async function openMedia() {
    const camera = $('camera').value;
    const microphone = $('microphone').value;
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: microphone ? { deviceId: { exact: microphone } } : true,
      video: camera ? { deviceId: { exact: camera } } : { width: 640, height: 360 },
    });
    stream.getAudioTracks().forEach((t) => { t.enabled = !state.muted; });
    stream.getVideoTracks().forEach((t) => { t.enabled = !state.cameraOff; });
    return stream;
  }

  function tile(id, name) {
    let t = state.tiles.get(id);
    if (!t) {
      const figure = document.createElement('figure');
      figure.className = 'tile';
      figure.dataset.participant = id;
      const video = document.createElement('video');
      video.autoplay = true;
      video.playsInline = true;
      video.muted = true; // sound plays from the audio element
      const audio = document.createElement('audio');
      audio.autoplay = true;
      const caption = document.createElement('figcaption');
      figure.append(video, audio, caption);
      $('tiles').append(figure);
      t = { figure, video, audio, caption };
      state.tiles.set(id, t);
    }
    t.caption.textContent = name;
    return t;
  }

  function dropTile(id) {
    const t = state.tiles.get(id);
    if (t) {
      t.figure.remove();
      state.tiles.delete(id);
    }
  }

  function showSelf() {
    const t = tile('self', 'You');
    t.video.srcObject = state.stream;
    t.figure.classList.add('self');
  }

  function onTrack(event) {
    const stream = event.streams[0];
    if (!stream) return;
    const owner = stream.id;
    state.trackOwner.set(event.track.id, owner);
    const t = tile(owner, state.names.get(owner) || 'Joining…');
    const element = event.track.kind === 'video' ? t.video : t.audio;
    if (element.srcObject !== stream) element.srcObject = stream;
    element.play().catch(() => {});
  }

  function closePc() {
    if (state.pc) {
      state.pc.close();
      state.pc = null;
    }
    for (const id of [...state.tiles.keys()]) if (id !== 'self') dropTile(id);
  }

  function startPc() {
    closePc();
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
    state.pc = pc;
    for (const track of state.stream.getTracks()) {
      pc.addTransceiver(track, { direction: 'sendonly', streams: [state.stream] });
    }
    pc.ontrack = onTrack;
    pc.onconnectionstatechange = () => {
      if (state.pc !== pc) return;
      if (pc.connectionState === 'connected') connection('You are in the session.');
      if (pc.connectionState === 'failed') {
        connection('The connection dropped. Reconnecting…');
        if (state.ws) state.ws.close();
      }
    };
    state.chain = Promise.resolve();
    enqueue(async () => {
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      send({ type: 'offer', sdp: offer.sdp });
    });
  }

  // Tells the participant what the therapist turned off, and whether they may turn it back on.
  function showHeld() {
    const lines = [];
    if (state.hostMuted) {
      lines.push(state.mayUnmute
        ? 'The therapist muted you. Unmute when you want to speak.'
        : 'The therapist muted you. You cannot unmute yourself for now: ask the therapist (raise your hand) when you want to speak.');
    }
    if (state.hostCameraOff) {
      lines.push(state.mayUnmute
        ? 'The therapist turned your camera off. You can turn it back on.'
        : 'The therapist turned your camera off. You cannot turn it back on yourself for now: ask the therapist.');
    }
    $('held').textContent = lines.join(' ');
  }

  function onRoster(message) {
    state.locked = message.locked;
    state.mayUnmute = message.may_unmute;
    const ids = new Set();
    for (const p of message.participants) {
      state.names.set(p.id, p.name);
      if (p.presence === 'in_room') ids.add(p.id);
      const t = state.tiles.get(p.id);
      if (t) t.caption.textContent = p.name;
      if (p.id === state.you) {
        // After a reconnect the roster is the only word on what the therapist turned off.
        state.hostMuted = p.host_muted;
        state.hostCameraOff = p.host_camera_off;
        if (p.host_muted && !state.muted) setMuted(true);
        if (p.host_camera_off && !state.cameraOff) setCameraOff(true);
      }
    }
    showHeld();
    for (const id of [...state.tiles.keys()]) if (id !== 'self' && !ids.has(id)) dropTile(id);
    if (!isHost) return;
    // Tell the therapist (and a screen reader) who came, was let in or left, and who waits.
    const seen = preview.changes(state.seen, message.participants, state.you);
    state.seen = seen.seen;
    if (seen.news) state.news = seen.news;
    connection(state.connection);
    const waiting = $('waiting');
    const present = $('present');
    waiting.replaceChildren();
    present.replaceChildren();
    for (const p of message.participants) {
      const li = document.createElement('li');
      li.dataset.participant = p.id;
      li.textContent = p.id === state.you ? `${p.name} (you)` : p.name;
      const held = [p.host_muted && 'muted by you', p.host_camera_off && 'camera off by you'].filter(Boolean);
      if (held.length > 0) {
        const note = document.createElement('span');
        note.className = 'held';
        note.textContent = ` (${held.join(', ')})`;
        li.append(note);
      }
      if (p.id !== state.you) {
        const actions = p.presence === 'waiting'
          ? [['Admit', 'admit']]
          : [
            ...(p.host_muted ? [] : [['Mute', 'mute']]),
            ...(p.host_camera_off ? [] : [['Turn camera off', 'camera_off']]),
            ['Remove', 'remove'],
          ];
        for (const [label, type] of actions) {
          const button = document.createElement('button');
          button.type = 'button';
          button.className = 'secondary';
          button.textContent = label;
          button.setAttribute('aria-label', `${label} for ${p.name}`);
          button.dataset.action = type;
          button.dataset.participant = p.id;
          button.addEventListener('click', () => send({ type, participant: p.id }));
          li.append(' ', button);
        }
      }
      (p.presence === 'waiting' ? waiting : present).append(li);
    }
    const lock = $('lock');
    lock.textContent = state.locked ? 'Unlock the room' : 'Lock the room';
    lock.setAttribute('aria-pressed', String(state.locked));
    $('may-unmute').checked = state.mayUnmute;
  }

  function onSafety(message) {
    const rows = $('safety-rows');
    rows.replaceChildren();
    for (const p of message.participants) {
      const tr = document.createElement('tr');
      tr.dataset.participant = p.id;
      for (const text of [p.name, p.location || 'not given', p.emergency_contact || 'none on file', p.open_risk_flag || 'none']) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      const td = document.createElement('td');
      if (p.crisis_note_url) {
        const a = document.createElement('a');
        a.href = p.crisis_note_url;
        a.target = '_blank';
        a.rel = 'noopener';
        a.textContent = `Start a crisis note for ${p.name}`;
        td.append(a);
      }
      tr.append(td);
      rows.append(tr);
    }
  }

  function finish(text) {
    state.over = true;
    preview.stop();
    closePc();
    if (state.stream) state.stream.getTracks().forEach((t) => t.stop());
    state.stream = null;
    dropTile('self');
    // Nobody is in a session that is over for this page.
    if (isHost) ['waiting', 'present'].forEach((id) => $(id).replaceChildren());
    status(text);
    if (state.ws) state.ws.close();
    $('room').dataset.over = 'true';
  }

  function onMessage(message) {
    switch (message.type) {
      case 'welcome':
        state.you = message.you;
        state.part = message.part;
        state.retry = 0;
        break;
      case 'waiting':
        status('You are in the waiting room. Your therapist will let you in shortly.');
        break;
      case 'admitted':
        state.admitted = true;
        connection('Connecting…');
        startPc();
        break;
      case 'answer':
        enqueue(() => state.pc && state.pc.setRemoteDescription({ type: 'answer', sdp: message.sdp }));
        break;
      case 'offer':
        enqueue(async () => {
          const pc = state.pc;
          if (!pc) return;
          await pc.setRemoteDescription({ type: 'offer', sdp: message.sdp });
          const answer = await pc.createAnswer();
          await pc.setLocalDescription(answer);
          send({ type: 'answer', sdp: answer.sdp });
        });
        break;
      case 'roster':
        onRoster(message);
        break;
      case 'safety':
        onSafety(message);
        break;
      case 'muted':
      case 'unmuted': {
        const off = message.type === 'muted';
        if (message.device === 'camera') {
          state.hostCameraOff = off;
          setCameraOff(off);
        } else {
          state.hostMuted = off;
          setMuted(off);
        }
        showHeld();
        break;
      }
      case 'media_lost':
        if (state.admitted) startPc();
        break;
      case 'removed':
        finish('Your therapist removed you from this session.');
        break;
      case 'ended':
        finish('The session has ended. Thank you for coming.');
        break;
      case 'refused':
        state.over = true;
        if (state.ws) state.ws.close();
        closePc();
        $('room').hidden = true;
        $('join').hidden = false;
        $('join-error').textContent = `You cannot join: ${message.reason}`;
        if (state.stream) state.stream.getTracks().forEach((t) => t.stop());
        state.stream = null;
        preview.start(openMedia).then(preview.listDevices);
        break;
      case 'error':
        status(message.message);
        break;
      default:
        break;
    }
  }

  function connect() {
    const url = new URL(roomEl.dataset.socket, window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url);
    state.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify(state.hello));
    ws.onmessage = (event) => {
      if (state.ws !== ws) return;
      try {
        onMessage(JSON.parse(event.data));
      } catch (e) {
        console.warn('message', e);
      }
    };
    ws.onclose = () => {
      if (state.ws !== ws || state.over) return;
      closePc();
      if (state.retry >= MAX_RETRIES) {
        finish('Could not reconnect. Check your connection, then reload this page (you may need to log in again).');
        return;
      }
      // A network blip: try again, waiting a little longer each time (at most 10 s).
      const delay = Math.min(10000, 500 * 2 ** state.retry);
      state.retry += 1;
      connection('Connection lost. Reconnecting…');
      setTimeout(() => { if (!state.over) connect(); }, delay);
    };
  }

  function setMuted(muted) {
    state.muted = muted;
    if (state.stream) state.stream.getAudioTracks().forEach((t) => { t.enabled = !muted; });
    $('mute').textContent = muted ? 'Unmute' : 'Mute';
    $('mute').setAttribute('aria-pressed', String(muted));
  }

  function setCameraOff(off) {
    state.cameraOff = off;
    if (state.stream) state.stream.getVideoTracks().forEach((t) => { t.enabled = !off; });
    $('camera-off').textContent = off ? 'Turn camera on' : 'Turn camera off';
    $('camera-off').setAttribute('aria-pressed', String(off));
  }

  // Before joining, a new device shows in the preview; in the call, it is swapped in without
  // renegotiating.
  async function switchDevice() {
    if (!state.stream) {
      if (!$('join').hidden) await preview.start(openMedia);
      return;
    }
    try {
      const fresh = await openMedia();
      const senders = state.pc ? state.pc.getSenders() : [];
      for (const track of fresh.getTracks()) {
        const sender = senders.find((s) => s.track && s.track.kind === track.kind);
        if (sender) await sender.replaceTrack(track);
      }
      state.stream.getTracks().forEach((t) => t.stop());
      state.stream = fresh;
      showSelf();
    } catch (e) {
      status(`That device could not be used: ${e.message}`);
    }
  }

  // Every two seconds: who is speaking, and how the connection is doing.
  async function watch() {
    const pc = state.pc;
    if (!pc || pc.connectionState !== 'connected') return;
    const report = await pc.getStats();
    let loudest = null;
    let loudestLevel = 0.02;
    let received = 0;
    let lost = 0;
    let rtt = null;
    report.forEach((s) => {
      if (s.type === 'inbound-rtp') {
        received += s.packetsReceived || 0;
        lost += Math.max(0, s.packetsLost || 0);
        if (s.kind === 'audio' && (s.audioLevel || 0) > loudestLevel) {
          loudestLevel = s.audioLevel;
          loudest = state.trackOwner.get(s.trackIdentifier) || null;
        }
      }
      if (s.type === 'candidate-pair' && s.nominated && s.currentRoundTripTime !== undefined) {
        rtt = s.currentRoundTripTime;
      }
    });
    for (const [id, t] of state.tiles) t.figure.classList.toggle('speaking', id === loudest);
    const previous = state.lastStats;
    state.lastStats = { received, lost };
    if (!previous) return;
    const got = received - previous.received;
    const missed = lost - previous.lost;
    const loss = got + missed > 0 ? missed / (got + missed) : 0;
    let hint = 'Connection: good';
    if (loss > 0.05 || (rtt !== null && rtt > 0.4)) hint = 'Connection: poor. Turning your camera off may help.';
    else if (loss > 0.01 || (rtt !== null && rtt > 0.2)) hint = 'Connection: fair';
    $('quality').textContent = hint;
  }

  $('join-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    $('join-error').textContent = '';
    const location = $('location') ? $('location').value.trim() : null;
    const reason = $('reason') ? $('reason').value.trim() : null;
    if ($('location') && $('location').required && !location) {
      $('join-error').textContent = 'Say where you are right now before joining.';
      $('location').focus();
      return;
    }
    // The preview lets go of the devices; the call opens its own.
    preview.stop();
    try {
      state.stream = await openMedia();
    } catch (e) {
      $('join-error').textContent = `Your camera or microphone could not be opened: ${e.message}`;
      preview.start(openMedia);
      return;
    }
    preview.listDevices();
    state.hello = { type: 'hello', location: location || null, reason: reason || null };
    state.over = false;
    $('join').hidden = true;
    roomEl.hidden = false;
    showSelf();
    connection('Connecting…');
    connect();
  });
  // What the therapist turned off, only the server can turn back on (the 'unmuted' answer
  // does it); the page's own mute stays in the page.
  $('mute').addEventListener('click', () => {
    if (state.muted && state.hostMuted) send({ type: 'unmute', device: 'microphone' });
    else setMuted(!state.muted);
  });
  $('camera-off').addEventListener('click', () => {
    if (state.cameraOff && state.hostCameraOff) send({ type: 'unmute', device: 'camera' });
    else setCameraOff(!state.cameraOff);
  });
  $('leave').addEventListener('click', () => {
    send({ type: 'leave' });
    finish('You left the session.');
  });
  $('camera').addEventListener('change', switchDevice);
  $('microphone').addEventListener('change', switchDevice);
  if (isHost) {
    $('lock').addEventListener('click', () => send({ type: 'lock', locked: !state.locked }));
    $('may-unmute').addEventListener('change', (event) => send({ type: 'allow_unmute', allowed: event.target.checked }));
    let armed = null;
    $('end').addEventListener('click', () => {
      if (armed) {
        clearTimeout(armed);
        armed = null;
        send({ type: 'end' });
        return;
      }
      $('end').textContent = 'Click again to end the session for everyone';
      armed = setTimeout(() => {
        armed = null;
        $('end').textContent = 'End the session for everyone';
      }, 5000);
    });
  }
  preview.listDevices();
  // Device names show once the browser may use the devices: after the preview opens them.
  preview.start(openMedia).then(preview.listDevices);
  setInterval(() => { watch().catch(() => {}); }, 2000);
})();
