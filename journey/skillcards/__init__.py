"""SWADES-style return skill forms and the skill cards they issue."""
