package integration

// Helpers of the dashboard's browser tests (browser_test.go): the frontend
// role, started once for them, and a headless Chromium per test, driven with
// chromedp, that fails its test on any console error or uncaught exception
// and leaves a screenshot of the page when its test fails.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/orderflow/orderflow/internal/app"
	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/internal/platform/logging"
)

// chromiumPath is Debian's Chromium (`make test` installs it when missing).
const chromiumPath = "/usr/bin/chromium"

// How long the page may take to show an order's next state: the saga runs
// in a second or two on the local stack, and the list refreshes every 10 s
// in case a stream missed it.
const (
	pageTimeout  = 30 * time.Second
	pollInterval = 100 * time.Millisecond
)

// startFrontend runs the dashboard (the frontend role) against the suite's
// API until t, a top-level test, ends, and returns its URL.
func startFrontend(t *testing.T) string {
	t.Helper()
	cfg := stack.cfg
	cfg.FrontendAddr = freeAddr()
	cfg.APIURL = stack.apiURL
	cfg.OpsAddr = freeAddr()
	logFile, err := os.Create(filepath.Join(t.TempDir(), "frontend.log"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.RunFrontend(ctx, settings[config.Frontend](cfg), logging.New(logFile, "info")) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("frontend stopped: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("the frontend did not stop within 10 s")
		}
		if t.Failed() {
			if b, err := os.ReadFile(logFile.Name()); err == nil {
				t.Logf("frontend log:\n%s", tail(b, 8000))
			}
		}
		logFile.Close()
	})
	if err := waitReady("http://"+cfg.OpsAddr+"/readyz", 30*time.Second); err != nil {
		select {
		case err := <-done:
			t.Fatalf("frontend stopped: %v", err)
		default:
		}
		t.Fatal(err)
	}
	return "http://" + cfg.FrontendAddr
}

// browserPage is one headless Chromium with one tab, for one test.
type browserPage struct {
	t    *testing.T
	name string // of the browser, in messages and file names: "customer", "admin"
	ctx  context.Context
	url  string // the dashboard's

	mu       sync.Mutex
	problems []string // console errors and uncaught exceptions
	dialogs  []string // the confirm and prompt messages the tab accepted
}

// newBrowser starts a Chromium of its own (its own profile, so its own
// cookies, storage and connections) on the dashboard at url. At the end of
// t it fails t for any console error or uncaught exception the page had,
// and saves a screenshot when t failed.
func newBrowser(t *testing.T, url, name string) *browserPage {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("%s: %v (`make test` installs it: apt-get install chromium)", chromiumPath, err)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		// This network is closed: Chromium's own calls home are refused,
		// so none are made.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true), // containers' /dev/shm is small
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
	)
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	p := &browserPage{t: t, name: name, ctx: ctx, url: url}
	// The first call starts the browser, with no timeout: one would stop it.
	if err := chromedp.Listen(ctx, p.onEvent); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	t.Cleanup(func() {
		p.mu.Lock()
		problems := p.problems
		p.mu.Unlock()
		for _, msg := range problems {
			t.Errorf("%s browser: %s", name, msg)
		}
		if t.Failed() {
			p.screenshotOnFailure()
		}
		cancel()
		cancelAlloc()
	})
	return p
}

// onEvent runs in the tab's message loop: it must not block or send commands.
func (p *browserPage) onEvent(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		p.consoleCalled(ev)
	case runtime.EventConsoleAPICalled:
		p.consoleCalled(&ev)
	case *runtime.EventExceptionThrown:
		p.exceptionThrown(ev)
	case runtime.EventExceptionThrown:
		p.exceptionThrown(&ev)
	case *page.EventJavascriptDialogOpening:
		p.dialogOpened(ev.Message)
	case page.EventJavascriptDialogOpening:
		p.dialogOpened(ev.Message)
	}
}

func (p *browserPage) consoleCalled(ev *runtime.EventConsoleAPICalled) {
	if ev.Type != runtime.ConsoleAPICalledTypeError {
		return
	}
	args := make([]string, 0, len(ev.Args))
	for _, a := range ev.Args {
		switch {
		case a.Description != "":
			args = append(args, a.Description)
		case len(a.Value) > 0:
			args = append(args, string(a.Value))
		default:
			args = append(args, string(a.Type))
		}
	}
	p.problem("console error: " + strings.Join(args, " "))
}

func (p *browserPage) exceptionThrown(ev *runtime.EventExceptionThrown) {
	d := ev.ExceptionDetails
	if d == nil {
		p.problem("uncaught exception")
		return
	}
	msg := d.Text
	if d.Exception != nil && d.Exception.Description != "" {
		msg += " " + d.Exception.Description
	}
	p.problem(fmt.Sprintf("uncaught exception at %s:%d:%d: %s", d.URL, d.LineNumber+1, d.ColumnNumber+1, msg))
}

// dialogOpened accepts the confirm ("Cancel order …?", "Approve order …?")
// as the user would, from another goroutine: this one reads the tab's messages.
func (p *browserPage) dialogOpened(message string) {
	p.mu.Lock()
	p.dialogs = append(p.dialogs, message)
	p.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
		defer cancel()
		if _, err := chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true}); err != nil && p.ctx.Err() == nil {
			p.problem(fmt.Sprintf("accept the dialog %q: %v", message, err))
		}
	}()
}

func (p *browserPage) problem(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.problems = append(p.problems, msg)
}

// acceptedDialogs are the dialogs' messages so far.
func (p *browserPage) acceptedDialogs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.dialogs...)
}

// do runs the steps with a timeout, failing the test with what was under way.
func (p *browserPage) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, pageTimeout+5*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.t.Fatalf("%s browser: %s: %v", p.name, what, err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](p *browserPage, expression string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expression))
	if err != nil {
		p.t.Fatalf("%s browser: evaluate %s: %v", p.name, expression, err)
	}
	return v
}

// waitFor polls the JavaScript function fn(...args) until it returns a
// truthy value, and returns that value; on a timeout it fails the test with
// what describe (an expression) says the page shows.
func waitFor[T any](p *browserPage, what, fn, describe string, args ...any) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, pageTimeout+5*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.PollFunction[T](fn,
		chromedp.WithPollingInterval(pollInterval), chromedp.WithPollingTimeout(pageTimeout), chromedp.WithPollingArgs(args...)))
	if err != nil {
		shows := "?"
		if describe != "" {
			shows = eval[string](p, describe)
		}
		p.t.Fatalf("%s browser: %s: %v; the page shows: %s", p.name, what, err, shows)
	}
	return v
}

// signIn opens the dashboard and signs in with its form.
func (p *browserPage) signIn(email, password string) {
	p.t.Helper()
	p.do("open the sign-in form",
		chromedp.Navigate(p.url),
		chromedp.WaitVisible(chromedp.ID("auth-form")),
		chromedp.SendKeys(chromedp.ID("auth-email"), email),
		chromedp.SendKeys(chromedp.ID("auth-password"), password),
		chromedp.Click(chromedp.ID("auth-submit")),
	)
	waitFor[bool](p, "sign in as "+email, `(email) => {
		const app = document.getElementById("app"), who = document.getElementById("who");
		return !app.hidden && who.textContent.startsWith(email + " · ");
	}`, `[document.getElementById("auth-error").innerText, document.getElementById("auth-notice").innerText,
		document.getElementById("who").innerText].filter(Boolean).join(" | ") || document.body.innerText.slice(0, 500)`, email)
}

// rowJS finds an order's row in the orders table by the order ID it shows,
// and reads what the row says: its status badge, the status cell's lines
// (reasons, parcels) and its action buttons.
const rowJS = `(id) => {
	const row = Array.from(document.querySelectorAll("#orders tr")).find(tr => {
		const code = tr.querySelector("code");
		return code && code.textContent === id;
	});
	if (!row) return null;
	const badge = row.querySelector(".status");
	return {
		status: badge ? badge.textContent : "",
		reasons: Array.from(row.querySelectorAll(".reason"), d => d.textContent),
		actions: Array.from(row.querySelectorAll("button[data-action]"), b => b.dataset.action),
		text: row.innerText,
	};
}`

// orderRow is what rowJS reads.
type orderRow struct {
	Status  string   `json:"status"`
	Reasons []string `json:"reasons"`
	Actions []string `json:"actions"`
	Text    string   `json:"text"`
}

// row reads the order's row as the page shows it now (nil when there is none).
func (p *browserPage) row(id string) *orderRow {
	p.t.Helper()
	return eval[*orderRow](p, fmt.Sprintf("(%s)(%q)", rowJS, id))
}

// waitForStatus waits until the order's row shows the status (as the
// badge writes it: "awaiting approval"), and returns the row.
func (p *browserPage) waitForStatus(id, status string) orderRow {
	p.t.Helper()
	return waitFor[orderRow](p, fmt.Sprintf("order %s shown %q", id, status),
		fmt.Sprintf(`(id, status) => { const r = (%s)(id); return r && r.status === status ? r : null; }`, rowJS),
		fmt.Sprintf(`JSON.stringify((%s)(%q)) + " | " + (document.getElementById("error").hidden ? "" : document.getElementById("error").innerText)`, rowJS, id),
		id, status)
}

// buy places an order of quantity sku from the shop, paid with token, and
// returns its ID.
func (p *browserPage) buy(sku string, quantity int, token string) string {
	p.t.Helper()
	p.openShop(sku)
	p.addToCart(sku, quantity)
	return p.checkout(token)
}

// openShop opens the shop and waits for the catalogue.
func (p *browserPage) openShop(sku string) {
	p.t.Helper()
	p.do("open the shop",
		chromedp.Click(chromedp.CSS("#shop > summary")),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#products form[data-sku=%q] button[type="submit"]`, sku))),
	)
}

// addToCart adds quantity of the product to the cart from its row in the shop.
func (p *browserPage) addToCart(sku string, quantity int) {
	p.t.Helper()
	form := fmt.Sprintf(`#products form[data-sku=%q]`, sku)
	p.do("add "+sku+" to the cart",
		chromedp.SetValue(chromedp.CSS(form+` input[name="quantity"]`), fmt.Sprint(quantity)),
		chromedp.Click(chromedp.CSS(form+` button[type="submit"]`)),
		chromedp.WaitEnabled(chromedp.ID("checkout")),
	)
	waitFor[bool](p, "the cart holds "+sku, `(quantity) => Array.from(document.querySelectorAll("#cart-lines li"), li => li.textContent)
		.some(t => t.startsWith(quantity + " \u00d7 "))`, `document.getElementById("cart").innerText`, quantity)
}

// checkout places the cart's order paid with the sandbox's test token, and
// returns the order's ID as the shop says it.
func (p *browserPage) checkout(token string) string {
	p.t.Helper()
	p.do("place the order",
		chromedp.SetValue(chromedp.ID("checkout-token"), token),
		chromedp.Click(chromedp.ID("checkout")),
	)
	said := waitFor[string](p, "the order placed", `() => {
		const t = document.getElementById("shop-status").textContent;
		return /^Order \S+ placed/.test(t) || /^Could not/.test(t) ? t : null;
	}`, `document.getElementById("shop-status").innerText`)
	id, ok := strings.CutPrefix(said, "Order ")
	id, _, found := strings.Cut(id, " placed")
	if !ok || !found || id == "" {
		p.t.Fatalf("%s browser: the shop says %q", p.name, said)
	}
	return id
}

// act clicks one of the order row's action buttons ("approve", "cancel").
func (p *browserPage) act(id, action string) {
	p.t.Helper()
	p.do(action+" order "+id,
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#orders button[data-action=%q][data-order=%q]`, action, id))))
}

// actionResult waits for the page to say how an action on the order went,
// and returns what it says.
func actionResult(p *browserPage, id string) string {
	p.t.Helper()
	return waitFor[string](p, "the answer to the action on order "+id, `(id) => {
		const box = document.getElementById("action-result");
		return !box.hidden && box.textContent.startsWith("Order " + id + ":") ? box.textContent : null;
	}`, `document.getElementById("action-result").innerText`, id)
}

// screenshotDir is where failing tests leave their screenshots.
func screenshotDir() string {
	if dir := os.Getenv("ORDERFLOW_SCREENSHOT_DIR"); dir != "" {
		return dir
	}
	return filepath.Join("..", "..", "bin", "screenshots") // bin/ is git-ignored
}

func (p *browserPage) screenshotOnFailure() {
	name := strings.NewReplacer("/", "-", " ", "_").Replace(p.t.Name()) + "-" + p.name + ".png"
	path, err := p.saveScreenshot(screenshotDir(), name)
	if err != nil {
		p.t.Logf("%s browser: no screenshot: %v", p.name, err)
		return
	}
	p.t.Logf("%s browser: screenshot of the page at %s", p.name, path)
}

// readmeScreenshot saves a PNG of the page for the README when
// ORDERFLOW_README_SCREENSHOTS names a directory.
func (p *browserPage) readmeScreenshot(name string) {
	p.t.Helper()
	dir := os.Getenv("ORDERFLOW_README_SCREENSHOTS")
	if dir == "" {
		return
	}
	path, err := p.saveScreenshot(dir, name)
	if err != nil {
		p.t.Errorf("README screenshot %s: %v", name, err)
		return
	}
	p.t.Logf("README screenshot: %s", path)
}

func (p *browserPage) saveScreenshot(dir, name string) (string, error) {
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path, err := filepath.Abs(filepath.Join(dir, name))
	if err != nil {
		return "", err
	}
	return path, os.WriteFile(path, png, 0o644)
}
