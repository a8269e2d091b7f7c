//! A small driver for headless Chromium over the DevTools protocol: enough to load pages,
//! fill forms, click and read what a person would see.

use anyhow::{Context as _, bail};
use base64::Engine as _;
use futures::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

const CANDIDATES: [&str; 3] =
    ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];
const WAIT: Duration = Duration::from_secs(20);

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Value>>>>;

/// A running headless Chromium with its own throw-away profile.
#[derive(Debug)]
pub struct Browser {
    child: tokio::process::Child,
    _profile: tempfile::TempDir,
    cdp: Arc<Cdp>,
}

#[derive(Debug)]
struct Cdp {
    outgoing: mpsc::UnboundedSender<Message>,
    pending: Pending,
    next_id: AtomicU64,
}

/// One tab.
#[derive(Debug)]
pub struct Page {
    cdp: Arc<Cdp>,
    session: String,
}

/// Where Chromium is on this machine, if anywhere.
pub fn find_chromium() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("HEARTH_CHROMIUM") {
        return Some(PathBuf::from(path)).filter(|p| p.exists());
    }
    CANDIDATES.iter().map(PathBuf::from).find(|p| p.exists())
}

impl Browser {
    /// Starts Chromium, or `None` (after reporting the skip) when it is not installed.
    pub async fn launch(test: &str) -> anyhow::Result<Option<Self>> {
        Self::launch_with(test, &[]).await
    }

    /// Starts Chromium with extra flags (fake camera and microphone, say).
    pub async fn launch_with(test: &str, extra: &[&str]) -> anyhow::Result<Option<Self>> {
        let Some(binary) = find_chromium() else {
            crate::skip(test, "Chromium is not installed (apt-get install chromium)");
            return Ok(None);
        };
        let profile = tempfile::tempdir().context("creating a Chromium profile directory")?;
        let mut command = tokio::process::Command::new(binary);
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--remote-debugging-port=0",
                // An American reader, whatever the machine's locale: pages write times on the
                // clock of the browser's first language.
                "--accept-lang=en-US",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(extra)
            .arg("about:blank")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true);
        let child = command.spawn().context("starting Chromium")?;
        let port_file = profile.path().join("DevToolsActivePort");
        let deadline = tokio::time::Instant::now() + WAIT;
        let ws_url = loop {
            if let Ok(text) = tokio::fs::read_to_string(&port_file).await {
                let mut lines = text.lines();
                if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                    break format!("ws://127.0.0.1:{port}{path}");
                }
            }
            if tokio::time::Instant::now() > deadline {
                bail!("Chromium did not open its DevTools port");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let (socket, _) = tokio_tungstenite::connect_async(&ws_url)
            .await
            .context("connecting to Chromium's DevTools")?;
        let (mut sink, mut stream) = socket.split();
        let (outgoing, mut queue) = mpsc::unbounded_channel::<Message>();
        tokio::spawn(async move {
            while let Some(message) = queue.recv().await {
                if sink.send(message).await.is_err() {
                    break;
                }
            }
        });
        let pending: Pending = Arc::default();
        let readers = pending.clone();
        tokio::spawn(async move {
            while let Some(Ok(message)) = stream.next().await {
                let Message::Text(frame) = message else {
                    continue;
                };
                let Ok(value) = serde_json::from_str::<Value>(&frame) else {
                    continue;
                };
                // Replies carry their call's id; events (without one) are not needed here.
                let Some(id) = value.get("id").and_then(Value::as_u64) else {
                    continue;
                };
                if let Some(reply) = readers.lock().await.remove(&id) {
                    let _ = reply.send(value);
                }
            }
        });
        let cdp = Arc::new(Cdp { outgoing, pending, next_id: AtomicU64::new(1) });
        Ok(Some(Self { child, _profile: profile, cdp }))
    }

    /// Opens a new tab.
    pub async fn new_page(&self) -> anyhow::Result<Page> {
        let created =
            self.cdp.call(None, "Target.createTarget", json!({"url": "about:blank"})).await?;
        let target = created["targetId"].as_str().context("no targetId")?.to_owned();
        let attached = self
            .cdp
            .call(None, "Target.attachToTarget", json!({"targetId": target, "flatten": true}))
            .await?;
        let session = attached["sessionId"].as_str().context("no sessionId")?.to_owned();
        let page = Page { cdp: self.cdp.clone(), session };
        page.call("Page.enable", json!({})).await?;
        page.call("Runtime.enable", json!({})).await?;
        Ok(page)
    }

    pub async fn close(mut self) {
        let _ = self.cdp.call(None, "Browser.close", json!({})).await;
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
        let _ = self.child.kill().await;
    }
}

impl Cdp {
    async fn call(
        &self,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> anyhow::Result<Value> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        let (reply_tx, reply_rx) = oneshot::channel();
        self.pending.lock().await.insert(id, reply_tx);
        self.outgoing
            .send(Message::Text(message.to_string().into()))
            .map_err(|_| anyhow::anyhow!("Chromium's connection is closed"))?;
        let reply = tokio::time::timeout(WAIT, reply_rx)
            .await
            .with_context(|| format!("Chromium did not answer {method}"))?
            .context("Chromium's connection closed")?;
        if let Some(error) = reply.get("error") {
            bail!("{method} failed: {error}");
        }
        Ok(reply["result"].clone())
    }
}

impl Page {
    async fn call(&self, method: &str, params: Value) -> anyhow::Result<Value> {
        self.cdp.call(Some(&self.session), method, params).await
    }

    /// Loads `url` and waits until the document has loaded.
    pub async fn goto(&self, url: &str) -> anyhow::Result<()> {
        self.call("Page.navigate", json!({"url": url})).await?;
        self.wait_until(&format!(
            "document.readyState === 'complete' && location.href.startsWith({})",
            json!(url.split(['?', '#']).next().unwrap_or(url))
        ))
        .await
    }

    /// Evaluates JavaScript in the page and returns its value.
    pub async fn eval(&self, expression: &str) -> anyhow::Result<Value> {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
            )
            .await?;
        if let Some(details) = result.get("exceptionDetails") {
            bail!("script failed: {expression}: {details}");
        }
        Ok(result["result"]["value"].clone())
    }

    /// Waits until `condition` (JavaScript) is true and the document has finished loading,
    /// for up to 20 seconds. (A new URL shows before its document is parsed; reading the page
    /// then would find nothing.)
    pub async fn wait_until(&self, condition: &str) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            // A navigation can destroy the context mid-call; that is just "not yet".
            let ready = format!("document.readyState === 'complete' && Boolean({condition})");
            if let Ok(Value::Bool(true)) = self.eval(&ready).await {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                let body = self.text("body").await.unwrap_or_default();
                bail!("timed out waiting for `{condition}`; the page says: {body}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Types `value` into the input matching `selector`.
    pub async fn fill(&self, selector: &str, value: &str) -> anyhow::Result<()> {
        let script = format!(
            "(() => {{ const el = document.querySelector({s}); if (!el) return false; el.focus(); \
             el.value = {v}; el.dispatchEvent(new Event('input', {{bubbles: true}})); \
             el.dispatchEvent(new Event('change', {{bubbles: true}})); return true; }})()",
            s = json!(selector),
            v = json!(value)
        );
        match self.eval(&script).await? {
            Value::Bool(true) => Ok(()),
            _ => bail!("no element matches {selector}"),
        }
    }

    /// Clicks the element matching `selector`.
    pub async fn click(&self, selector: &str) -> anyhow::Result<()> {
        let script = format!(
            "(() => {{ const el = document.querySelector({s}); if (!el) return false; el.click(); return true; }})()",
            s = json!(selector)
        );
        match self.eval(&script).await? {
            Value::Bool(true) => Ok(()),
            _ => bail!("no element matches {selector}"),
        }
    }

    /// The visible text of the first element matching `selector`.
    pub async fn text(&self, selector: &str) -> anyhow::Result<String> {
        let script = format!(
            "(() => {{ const el = document.querySelector({s}); return el ? el.innerText : null; }})()",
            s = json!(selector)
        );
        match self.eval(&script).await? {
            Value::String(text) => Ok(text),
            _ => bail!("no element matches {selector}"),
        }
    }

    /// Serious and critical accessibility violations on the current page, found by axe-core
    /// (vendored from npm), each as "rule: help (N elements: first selector)". Besides axe's
    /// default rules it checks WCAG 2.2's minimum target size (24 × 24 CSS pixels, or spaced
    /// so a 24 px circle around each does not overlap another).
    pub async fn accessibility_violations(&self) -> anyhow::Result<Vec<String>> {
        const AXE: &str = include_str!("../vendor/axe-core/axe.min.js");
        if self.eval("typeof window.axe === 'undefined'").await? == Value::Bool(true) {
            self.eval(AXE).await.context("loading axe-core")?;
        }
        let found = self
            .eval(
                "axe.run(document, {resultTypes: ['violations'], \
                 rules: {'target-size': {enabled: true}}}).then(r => r.violations \
                 .filter(v => v.impact === 'serious' || v.impact === 'critical') \
                 .map(v => `${v.id}: ${v.help} (${v.nodes.length} elements: ${v.nodes[0].target.join(' ')})`))",
            )
            .await?;
        Ok(found
            .as_array()
            .map(|list| list.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            .unwrap_or_default())
    }

    /// The smallest text on the page as drawn, in CSS pixels: every visible element's own text
    /// at its computed size, and every SVG label at its size times the drawing's scale (a chart
    /// shrunk to fit a phone shrinks its labels too). `None` when the page has no text.
    pub async fn smallest_text_px(&self) -> anyhow::Result<Option<f64>> {
        let found = self
            .eval(
                "(() => { let least = null; \
                 const seen = (size) => { if (least === null || size < least) least = size; }; \
                 for (const el of document.querySelectorAll('body *')) { \
                   if (el.closest('svg') || el.closest('.visually-hidden')) continue; \
                   const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()); \
                   if (!own || el.getClientRects().length === 0) continue; \
                   seen(parseFloat(getComputedStyle(el).fontSize)); } \
                 for (const t of document.querySelectorAll('svg text')) { \
                   if (!t.textContent.trim() || t.getClientRects().length === 0) continue; \
                   const m = t.getScreenCTM(); if (!m) continue; \
                   seen(parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b)); } \
                 return least; })()",
            )
            .await?;
        Ok(found.as_f64())
    }

    /// Link texts that lead to more than one place on the current page ("Session room" for two
    /// rooms with nothing to tell them apart), each as "TEXT → N places". The text is what a
    /// screen reader's links list shows: the link's whole text, visually hidden parts included.
    pub async fn ambiguous_link_texts(&self) -> anyhow::Result<Vec<String>> {
        let found = self
            .eval(
                "(() => { const places = new Map(); \
                 for (const a of document.querySelectorAll('a[href]')) { \
                   const text = (a.getAttribute('aria-label') || a.textContent).replace(/\\s+/g, ' ').trim(); \
                   if (!text) continue; \
                   const href = new URL(a.getAttribute('href'), location.href).href.replace(/#.*$/, ''); \
                   if (!places.has(text)) places.set(text, new Set()); \
                   places.get(text).add(href); } \
                 return [...places].filter(([, hrefs]) => hrefs.size > 1) \
                   .map(([text, hrefs]) => `${text} → ${hrefs.size} places`); })()",
            )
            .await?;
        Ok(found
            .as_array()
            .map(|list| list.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            .unwrap_or_default())
    }

    /// Sizes the viewport like a phone (375 × 740 CSS pixels, touch).
    pub async fn emulate_phone(&self) -> anyhow::Result<()> {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 375, "height": 740, "deviceScaleFactor": 2, "mobile": true}),
        )
        .await?;
        Ok(())
    }

    /// Sets the viewport to `width` CSS pixels: 390 is a phone (touch, mobile layout), 1280 a
    /// laptop.
    pub async fn emulate_width(&self, width: u32) -> anyhow::Result<()> {
        let mobile = width < 600;
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": if mobile { 844 } else { 800 },
                   "deviceScaleFactor": if mobile { 2 } else { 1 }, "mobile": mobile}),
        )
        .await?;
        Ok(())
    }

    /// Saves a PNG of the whole page as `name.png` in the folder named by
    /// `HEARTH_SCREENSHOTS`, when that is set (a person looks at them; tests do not), and
    /// returns where it went.
    pub async fn screenshot(&self, name: &str) -> anyhow::Result<Option<PathBuf>> {
        let Some(dir) = std::env::var_os("HEARTH_SCREENSHOTS") else {
            return Ok(None);
        };
        let shot = self
            .call("Page.captureScreenshot", json!({"format": "png", "captureBeyondViewport": true}))
            .await?;
        let data = shot["data"].as_str().context("a screenshot without data")?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(data)?;
        let path = PathBuf::from(dir).join(format!("{name}.png"));
        std::fs::create_dir_all(path.parent().unwrap_or(&path))?;
        std::fs::write(&path, bytes)?;
        Ok(Some(path))
    }

    /// Whether the page is wider than the viewport (it would scroll sideways).
    pub async fn overflows_horizontally(&self) -> anyhow::Result<bool> {
        Ok(self.eval("document.documentElement.scrollWidth > window.innerWidth + 1").await?
            == Value::Bool(true))
    }

    /// Logs in through Hearth's login form at `base` and waits for the dashboard.
    pub async fn log_in(&self, base: &str, email: &str, password: &str) -> anyhow::Result<()> {
        self.goto(&format!("{base}/login")).await?;
        self.fill("#email", email).await?;
        self.fill("#password", password).await?;
        self.click("form[action='/login'] button[type=submit]").await?;
        self.wait_until("location.pathname === '/dashboard'").await
    }

    /// Logs out with the navigation's button and waits for the login page.
    pub async fn log_out(&self) -> anyhow::Result<()> {
        self.click("form[action='/logout'] button").await?;
        self.wait_until("location.pathname === '/login'").await
    }

    /// The path of the current page.
    pub async fn path(&self) -> anyhow::Result<String> {
        Ok(self.eval("location.pathname").await?.as_str().unwrap_or_default().to_owned())
    }
}
