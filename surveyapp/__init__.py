"""surveyapp: after-sales service certification surveys, checklists and star levels."""

from __future__ import annotations

from flask import Flask


def create_app(test_config: dict | None = None, instance_path: str | None = None) -> Flask:
    """Build the app: config, database, extensions, blueprints, CLI."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=instance_path,
        template_folder="../templates",
        static_folder="../static",
    )
    from . import config

    config.configure(app, test_config)

    from . import db

    db.init_app(app)

    from . import i18n
    from .extensions import babel, csrf, limiter, login_manager

    i18n.compile_catalogues()
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        default_translation_directories=i18n.translation_directories(),
    )
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    from . import web

    web.init_app(app)

    from . import cli

    cli.init_app(app)

    from .services import ledger

    # the sealer thread starts with the first request of each worker process (gunicorn forks
    # after loading the app, and threads do not survive a fork)
    app.before_request(lambda: ledger.start_sealer(app))

    from .web.submit_path import SubmitPath, answer_the_layer

    # customers' submissions stored outside Flask's request cycle (web/submit_path.py), inside
    # ProxyFix, which must give it the client's address as it gives Flask
    app.wsgi_app = SubmitPath(app, app.wsgi_app)
    app.before_request(answer_the_layer)
    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    return app
