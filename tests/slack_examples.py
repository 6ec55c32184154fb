"""Example Block Kit the fake Slack tests post and click: buttons and a modal."""

BUTTONS = [{"type": "actions", "block_id": "decide", "elements": [
    {"type": "button", "action_id": "approve", "value": "R-1", "style": "primary",
     "text": {"type": "plain_text", "text": "Approve"}},
    {"type": "button", "action_id": "deny", "value": "R-1",
     "text": {"type": "plain_text", "text": "Deny"}}]}]
MODAL = {"type": "modal", "callback_id": "request", "private_metadata": "from-modal",
         "title": {"type": "plain_text", "text": "Request access"}, "blocks": [
             {"type": "input", "block_id": "role", "label": {"type": "plain_text", "text": "Role"},
              "element": {"type": "static_select", "action_id": "role", "options": [
                  {"text": {"type": "plain_text", "text": "Prod read-only"},
                   "value": "prod-readonly"}]}},
             {"type": "input", "block_id": "reason", "label": {"type": "plain_text", "text": "Why"},
              "element": {"type": "plain_text_input", "action_id": "reason"}},
             {"type": "actions", "block_id": "more", "elements": [
                 {"type": "button", "action_id": "add", "value": "x",
                  "text": {"type": "plain_text", "text": "Add"}}]}]}
