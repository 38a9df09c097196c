"""Forms shared by the web blueprints (Flask-WTF: CSRF on every POST)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.i18n import get_translations
from wtforms.validators import DataRequired, Length

from ..i18n import select_locale


class Form(FlaskForm):
    """A form whose validators speak the page's language: WTForms' own zh and en catalogues
    ("字段长度不能超过 200 个字符。"), since ours translate Chinese sources only."""

    class Meta:
        def get_translations(self, form):
            # select_locale, not flask_babel.get_locale: nothing cached before ?lang= is read
            return get_translations(["en" if select_locale() == "en" else "zh"])


class LoginForm(Form):
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("密码"), validators=[DataRequired(), Length(max=200)])
