import { mount } from '../core/mount.js';
import { CitizenApp } from './app.js';

mount(CitizenApp);
