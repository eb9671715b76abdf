package integration

// The dashboard in a real browser (headless Chromium, driven with chromedp):
// signing in with the form, shopping, following an order live, approving
// and cancelling from the table, signing out. The frontend role serves the
// page against the suite's API; each subtest has a browser of its own, and
// fails on any console error or uncaught exception of its page.
// ORDERFLOW_README_SCREENSHOTS=<dir> saves the README's pictures of the
// main pages; a failing subtest leaves a screenshot in ORDERFLOW_SCREENSHOT_DIR
// (default bin/screenshots).

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/orderflow/orderflow/internal/domain/orders"
)

// The demo catalogue's products (inventory/seed.go) the tests buy.
const (
	browserCheapSKU  = "MUG-CERAMIC"  // 12.00, 150 in stock
	browserShirtSKU  = "TSHIRT-BLK-M" // 25.00, 100 in stock
	browserShirtCost = 2500
)

// shirtsOverTheThreshold is how many T-shirts make an order wait for
// approval.
func shirtsOverTheThreshold() int { return int(stack.cfg.ApprovalThreshold/browserShirtCost) + 1 }

func TestBrowser(t *testing.T) {
	url := startFrontend(t)

	// A customer signs in, fills the cart and pays with the sandbox's
	// approving card: the order's row reaches completed while the page
	// stays as it was loaded (the stream, not a reload, brings the states).
	t.Run("OrderCompletesLive", func(t *testing.T) {
		p := newBrowser(t, url, "customer")
		p.signIn(stack.cfg.DemoCustomerEmail, stack.cfg.DemoCustomerPassword)
		p.openShop(browserCheapSKU)
		p.addToCart(browserCheapSKU, 2)
		if total := eval[string](p, `document.getElementById("cart-total").textContent`); total != "Total 24.00 USD" {
			t.Fatalf("cart total %q, want Total 24.00 USD", total)
		}
		p.readmeScreenshot("dashboard-shop-cart.png")
		eval[bool](p, `window.orderflowNotReloaded = true`)
		id := p.checkout("tok_visa")
		row := p.waitForStatus(id, "completed")
		if !eval[bool](p, `window.orderflowNotReloaded === true`) {
			t.Fatal("the page was reloaded")
		}
		for _, step := range []string{"Stock reserved", "Payment authorized", "Payment captured", "Stock committed"} {
			if !strings.Contains(row.Text, "\u2713 "+step) {
				t.Errorf("the completed order's row lacks the step %q:\n%s", step, row.Text)
			}
		}
		if !strings.Contains(row.Text, "24.00 USD") {
			t.Errorf("the row does not show the total 24.00 USD:\n%s", row.Text)
		}
		if cart := eval[string](p, `document.getElementById("cart-total").textContent`); cart != "The cart is empty." {
			t.Errorf("after the order the cart says %q", cart)
		}
	})

	// A declined card fails the order, and its row says why in words, not
	// as the gateway's code. A customer of its own: the demo customer's
	// declines would send its next orders to review (risk_test.go).
	t.Run("DeclinedPaymentSaysWhy", func(t *testing.T) {
		customer := newCustomer(t)
		p := newBrowser(t, url, "customer")
		p.signIn(customer.User.Email, testPassword)
		id := p.buy(browserCheapSKU, 1, "tok_declined")
		row := p.waitForStatus(id, "failed")
		reasons := strings.Join(row.Reasons, " | ")
		if !strings.Contains(strings.ToLower(reasons), "declined") {
			t.Fatalf("the failed order's row does not say the card was declined: %q", reasons)
		}
		if strings.Contains(reasons, "card_declined") || strings.Contains(reasons, "402") {
			t.Errorf("the row shows the gateway's code, not words: %q", reasons)
		}
		if slices.Contains(row.Actions, "cancel") {
			t.Errorf("a failed order offers to cancel it: %v", row.Actions)
		}
	})

	// Over the approval threshold the order waits; an admin, in a browser
	// of their own, approves it from the table, and the customer's page
	// shows it completed.
	t.Run("AdminApprovesFromTheDashboard", func(t *testing.T) {
		customer := newBrowser(t, url, "customer")
		customer.signIn(stack.cfg.DemoCustomerEmail, stack.cfg.DemoCustomerPassword)
		id := customer.buy(browserShirtSKU, shirtsOverTheThreshold(), "tok_visa")
		row := customer.waitForStatus(id, "awaiting approval")
		if slices.Contains(row.Actions, "approve") {
			t.Errorf("the customer is offered to approve their own order: %v", row.Actions)
		}

		admin := newBrowser(t, url, "admin")
		admin.signIn(stack.cfg.AdminEmail, stack.cfg.AdminPassword)
		row = admin.waitForStatus(id, "awaiting approval")
		if !slices.Contains(row.Actions, "approve") || !slices.Contains(row.Actions, "reject") {
			t.Fatalf("the admin is not offered to approve and reject: %v", row.Actions)
		}
		admin.do("the admin's stats", chromedp.WaitVisible(chromedp.ID("stats")))
		admin.act(id, "approve")
		if said := actionResult(admin, id); said != "Order "+id+": approved." {
			t.Fatalf("the admin's page says %q", said)
		}
		if !slices.Contains(admin.acceptedDialogs(), "Approve order "+id+"?") {
			t.Errorf("the admin was not asked to confirm: %q", admin.acceptedDialogs())
		}
		customer.waitForStatus(id, "completed")
		admin.waitForStatus(id, "completed")
	})

	// The customer cancels an order that waits for approval from its row.
	t.Run("CustomerCancelsAnOrderAwaitingApproval", func(t *testing.T) {
		p := newBrowser(t, url, "customer")
		p.signIn(stack.cfg.DemoCustomerEmail, stack.cfg.DemoCustomerPassword)
		id := p.buy(browserShirtSKU, shirtsOverTheThreshold(), "tok_visa")
		row := p.waitForStatus(id, "awaiting approval")
		if !slices.Contains(row.Actions, "cancel") {
			t.Fatalf("the order awaiting approval offers no cancel: %v", row.Actions)
		}
		p.act(id, "cancel")
		row = p.waitForStatus(id, "cancelled")
		if !slices.Contains(row.Reasons, "Cancelled on request.") {
			t.Errorf("the cancelled order's row says %q, want Cancelled on request.", row.Reasons)
		}
		if slices.Contains(row.Actions, "cancel") {
			t.Errorf("a cancelled order still offers to cancel: %v", row.Actions)
		}
		// The stream may show the cancellation before the API's answer to
		// the cancel reaches the page.
		if said := actionResult(p, id); said != "Order "+id+": cancellation accepted." {
			t.Errorf("the page says %q", said)
		}
		if !slices.Contains(p.acceptedDialogs(), "Cancel order "+id+"?") {
			t.Errorf("the customer was not asked to confirm: %q", p.acceptedDialogs())
		}
	})

	// An order's page, opened from its row: the saga's steps as a timeline,
	// and what the customer was told, on which channel. The admin's copy
	// adds the technical detail, with a link to the execution in the
	// Temporal Web UI.
	t.Run("OrderPageShowsTheTimeline", func(t *testing.T) {
		id := placeOrder(t, orderBody(browserCheapSKU, 1, "tok_visa")) // the demo customer's
		waitForFinal(t, id)
		p := newBrowser(t, url, "customer")
		p.signIn(stack.cfg.DemoCustomerEmail, stack.cfg.DemoCustomerPassword)
		p.waitForStatus(id, "completed")
		p.do("open the order's page", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#orders a[href="#/orders/%s"]`, id))))
		steps := waitFor[[]string](p, "the timeline", `() => {
			const items = Array.from(document.querySelectorAll("#order-timeline > li.step.completed"), li => li.innerText);
			return !document.getElementById("order-page").hidden && items.length >= 5 ? items : null;
		}`, `document.getElementById("order-page").innerText.slice(0, 800)`)
		if !strings.Contains(strings.Join(steps, "\n"), "Payment captured") {
			t.Errorf("the timeline lacks the capture: %q", steps)
		}
		told := waitFor[string](p, "what the customer was told", `() => {
			const text = document.getElementById("order-notifications").innerText;
			return text.includes("order.completed") && text.includes("email") ? text : null;
		}`, `document.getElementById("order-notifications-section").innerText`)
		if strings.Contains(told, "sendgrid") {
			t.Errorf("the customer is shown the provider: %q", told)
		}
		if !eval[bool](p, `document.getElementById("order-technical").hidden`) {
			t.Error("the customer is shown the technical detail")
		}
		p.readmeScreenshot("dashboard-order-page.png")

		admin := newBrowser(t, url, "admin")
		admin.signIn(stack.cfg.AdminEmail, stack.cfg.AdminPassword)
		admin.do("open the order's page as admin", chromedp.Navigate(url+"/#/orders/"+id))
		link := waitFor[string](admin, "the link to the execution", `() => {
			const a = document.querySelector("#order-links a[href*='/workflows/']");
			return a ? a.href : null;
		}`, `document.getElementById("order-technical").innerText.slice(0, 500)`)
		if !strings.HasSuffix(link, "/workflows/order-"+id) {
			t.Errorf("the execution's link is %q", link)
		}
	})

	// The admin's charts follow the figures the API pushes: the minute an
	// order completed in shows it.
	t.Run("ConsoleChartsAreLive", func(t *testing.T) {
		waitForFinal(t, placeOrder(t, orderBody(browserCheapSKU, 1, "tok_visa")))
		admin := newBrowser(t, url, "admin")
		admin.signIn(stack.cfg.AdminEmail, stack.cfg.AdminPassword)
		admin.do("open the charts", chromedp.Click(chromedp.CSS(`#view-links a[href="#/console/charts"]`)))
		completed := waitFor[float64](admin, "a completed order charted", `() => {
			const figure = document.querySelector(".chart");
			if (!figure || document.querySelectorAll(".chart").length !== 4) return null;
			const rows = Array.from(figure.querySelectorAll("tbody tr"), tr => Number(tr.cells[1].textContent));
			const sum = rows.reduce((a, b) => a + b, 0);
			return sum > 0 ? sum : null;
		}`, `document.getElementById("console").innerText.slice(0, 500)`)
		if completed < 1 {
			t.Errorf("%v completed orders charted", completed)
		}
		admin.readmeScreenshot("dashboard-console-charts.png")
	})

	// The console's approval queue: an order over the threshold joins it
	// live, the admin approves it there with a reason, and it leaves the
	// queue as it completes.
	t.Run("AdminApprovesFromTheQueue", func(t *testing.T) {
		admin := newBrowser(t, url, "admin")
		admin.signIn(stack.cfg.AdminEmail, stack.cfg.AdminPassword)
		admin.do("open the approval queue", chromedp.Click(chromedp.CSS(`#view-links a[href="#/console/approvals"]`)),
			chromedp.WaitVisible(chromedp.ID("approvals-count")))
		// T-shirts, of which there are many: this order is approved, and
		// the suite's hoodies are for orders that give them back.
		id := placeOrderAwaitingApproval(t, orderBody(browserShirtSKU, shirtsOverTheThreshold(), "tok_visa"))
		row := fmt.Sprintf(`#approvals-table tr[data-order=%q]`, id)
		admin.do("the order joins the queue", chromedp.WaitVisible(chromedp.CSS(row)))
		admin.readmeScreenshot("dashboard-console-approvals.png")
		admin.do("approve from the queue",
			chromedp.Click(chromedp.CSS(row+` button[data-action="approve"]`)),
			chromedp.WaitVisible(chromedp.CSS(`dialog.con-dialog[open] input`)),
			chromedp.SendKeys(chromedp.CSS(`dialog.con-dialog[open] input`), "checked by phone"),
			chromedp.Click(chromedp.CSS(`dialog.con-dialog[open] button[data-action="confirm"]`)),
		)
		waitFor[bool](admin, "the order left the queue", `(sel) => document.querySelector(sel) === null`,
			`document.getElementById("console").innerText.slice(0, 500)`, row)
		if o := waitForFinal(t, id); o.Status != orders.StatusCompleted {
			t.Fatalf("the approved order ended %s", o.Status)
		}
	})

	// The console's inventory: an adjustment made with the form moves the
	// stock and lands in the ledger, with its reason.
	t.Run("AdminAdjustsStock", func(t *testing.T) {
		const sku = "KEYBOARD-TKL" // its stock is read before and after, in this test alone
		admin := newBrowser(t, url, "admin")
		admin.signIn(stack.cfg.AdminEmail, stack.cfg.AdminPassword)
		admin.do("open the inventory", chromedp.Navigate(url+"/#/console/inventory"))
		waitFor[bool](admin, "the products listed", `(sku) => {
			const pick = document.getElementById("inventory-sku");
			if (!pick || !Array.from(pick.options).some(o => o.value === sku)) return false;
			pick.value = sku;
			pick.dispatchEvent(new Event("change", { bubbles: true }));
			return true;
		}`, `document.getElementById("console").innerText.slice(0, 300)`, sku)
		before := waitFor[int](admin, "the stock's total", `() => {
			const row = document.querySelector("#inventory-stock tr.con-total");
			return row ? Number(row.cells[1].textContent) + 1 : 0; // +1: no stock is a truthy answer too
		}`, `document.getElementById("inventory-detail").innerText.slice(0, 300)`) - 1
		admin.do("adjust the stock",
			chromedp.SendKeys(chromedp.ID("inventory-delta"), "3"),
			chromedp.SendKeys(chromedp.ID("inventory-reason"), "browser test delivery"),
			chromedp.Click(chromedp.ID("inventory-adjust-submit")),
		)
		waitFor[bool](admin, "the adjustment in the ledger", `() => {
			const first = document.querySelector("#inventory-ledger tbody tr");
			return first !== null && first.innerText.includes("browser test delivery");
		}`, `document.getElementById("inventory-detail").innerText.slice(0, 600)`)
		waitFor[bool](admin, fmt.Sprintf("on hand from %d to %d", before, before+3), `(want) => {
			const row = document.querySelector("#inventory-stock tr.con-total");
			return row !== null && Number(row.cells[1].textContent) === want;
		}`, `document.getElementById("inventory-stock").innerText`, before+3)
	})

	// Signing out shows the sign-in form, and nothing of the orders stays
	// in the page.
	t.Run("SignOutLeavesNoOrders", func(t *testing.T) {
		id := placeOrder(t, orderBody(browserCheapSKU, 1, "tok_visa")) // the demo customer's
		p := newBrowser(t, url, "customer")
		p.signIn(stack.cfg.DemoCustomerEmail, stack.cfg.DemoCustomerPassword)
		waitFor[bool](p, "order "+id+" listed", fmt.Sprintf(`(id) => (%s)(id) !== null`, rowJS),
			`document.getElementById("orders").innerText.slice(0, 500)`, id)
		p.do("sign out",
			chromedp.Click(chromedp.ID("sign-out")),
			chromedp.WaitVisible(chromedp.ID("auth-form")),
			chromedp.WaitNotVisible(chromedp.ID("app")),
		)
		type signedOut struct {
			Notice, Body string
			Rows, Codes  int
			NavHidden    bool
		}
		got := eval[signedOut](p, `({
			Notice: document.getElementById("auth-notice").textContent,
			Body: document.body.innerText,
			Rows: document.querySelectorAll("#orders tr").length,
			Codes: document.querySelectorAll("#orders code, #app code").length,
			NavHidden: document.getElementById("nav").hidden,
		})`)
		if got.Notice != "You have signed out." {
			t.Errorf("the sign-in form says %q", got.Notice)
		}
		if got.Rows != 0 || got.Codes != 0 {
			t.Errorf("%d order rows (%d order IDs) left in the DOM", got.Rows, got.Codes)
		}
		if html := eval[string](p, `document.documentElement.outerHTML`); strings.Contains(html, id) {
			t.Errorf("order %s is still in the page's HTML", id)
		}
		if strings.Contains(got.Body, stack.cfg.DemoCustomerEmail+" \u00b7") {
			t.Errorf("the page still shows who was signed in:\n%s", got.Body)
		}
		if !got.NavHidden {
			t.Error("the signed-in navigation is still shown")
		}
		cookies, err := chromedp.Call(p.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{url}})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cookies.Cookies {
			if strings.Contains(c.Name, "session") && c.Value != "" {
				t.Errorf("the session cookie %s is still set", c.Name)
			}
		}
		// The session ended at the dashboard's server too: a reload asks
		// to sign in.
		p.do("reload after signing out",
			chromedp.Navigate(url),
			chromedp.WaitVisible(chromedp.ID("auth-form")),
		)
		if n := eval[int](p, `document.querySelectorAll("#orders tr").length`); n != 0 || !eval[bool](p, `document.getElementById("app").hidden`) {
			t.Errorf("after a reload the signed-out page shows the app (%d order rows)", n)
		}
	})
}
