/// The dashboard's two HTML documents: the login form and the shell every page shares (the script fills
/// `main` from the path). Plain HTML, no inline script or style (the Content-Security-Policy forbids both).
enum Pages {
    static func login(error: String?) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Warden · log in</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/assets/app.css"></head>
        <body class="login-page"><main class="login">
        <h1>Warden</h1>
        <form method="post" action="/login">
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
        <button type="submit">Log in</button>
        </form>
        \(error.map { "<p class=\"error\" role=\"alert\">\(escape($0))</p>" } ?? "")
        <p class="hint">The token is the contents of the file named by <code>[http] token_file</code>.</p>
        </main></body></html>
        """
    }

    /// - Parameter overview: Whether this is the overview, whose process list the browser fetches at once
    ///   (a preload, in parallel with the stylesheet and the script).
    static func shell(csrf: String, overview: Bool) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="csrf-token" content="\(escape(csrf))">
        <title>Warden</title><link rel="icon" href="data:,">
        \(overview ? #"<link rel="preload" href="/v1/processes" as="fetch" crossorigin="anonymous">"# : "")<link rel="stylesheet" href="/assets/app.css"><script src="/assets/app.js" defer></script></head>
        <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
        <span class="brand">Warden</span>
        <nav aria-label="Pages"><a href="/" data-nav="overview">Overview</a><a href="/pools" data-nav="pools">Pools</a><a href="/alerts" data-nav="alerts">Alerts <span id="alert-count" class="count" hidden></span></a></nav>
        <span class="spacer"></span>
        <span id="live" class="live" aria-live="off">connecting…</span>
        <button type="button" id="reload" title="Re-read the config file (as SIGHUP)">Reload config</button>
        <form method="post" action="/logout" class="logout"><input type="hidden" name="csrf" value="\(escape(csrf))"><button type="submit">Log out</button></form>
        </header>
        <p id="status" class="status" role="status" aria-live="polite"></p>
        <main id="main" tabindex="-1"><p class="loading">Loading…</p></main>
        </body></html>
        """
    }

    /// `text` with HTML's five special characters escaped.
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
