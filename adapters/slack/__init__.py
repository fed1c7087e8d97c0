"""Slack: slack-bolt's AsyncApp behind POST /slack/events, or over Socket Mode."""
