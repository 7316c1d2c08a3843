import { mount } from '../core/mount.js';
import { CitizenApp } from './app.js';
import { takeOverLiteForm } from './lite-takeover.js';

takeOverLiteForm(); // before the app replaces the script-less form: keep what was typed in it
mount(CitizenApp);
