import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from './access.decorators';
import { OpenApiDocument } from './openapi';

/**
 * The OpenAPI document and a small self-contained docs page rendering it (no CDN: the page's own
 * script reads /api/v1/openapi.json and lists every route with its parameters and body schema).
 */
@ApiTags('docs')
@Controller('api/v1')
export class DocsController {
  constructor(private readonly openapi: OpenApiDocument) {}

  @Public()
  @Get('openapi.json')
  @ApiOperation({ summary: 'The OpenAPI 3 document of this API' })
  document(): unknown {
    return this.openapi.document ?? { openapi: '3.0.0', info: { title: 'Godel API', version: 'v1' }, paths: {} };
  }

  @Public()
  @Get('docs')
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('content-security-policy', "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'")
  @ApiOperation({ summary: 'Human-readable API docs (HTML) rendered from openapi.json' })
  page(): string {
    return DOCS_HTML;
  }
}

const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Godel API</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1d1d1f}
h1{margin-bottom:.2rem} .op{border:1px solid #ddd;border-radius:6px;margin:.5rem 0;padding:.5rem .8rem}
.m{display:inline-block;min-width:4rem;font-weight:700} .get{color:#0a7} .post{color:#c60} .delete{color:#c00}
code,pre{font-family:ui-monospace,monospace;font-size:12px} pre{background:#f6f6f6;padding:.5rem;overflow:auto}
table{border-collapse:collapse} td{padding:.1rem .6rem .1rem 0;vertical-align:top} .tag{color:#666;font-size:12px}
</style></head>
<body><h1>Godel API</h1><p id="desc">Loading <a href="openapi.json">openapi.json</a>…</p><div id="ops"></div>
<script>
fetch('openapi.json').then(function(r){return r.json()}).then(function(doc){
  var esc=function(s){return String(s).replace(/[&<>"]/g,function(c){return {'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]})};
  document.getElementById('desc').innerHTML=esc(doc.info.description||'')+' — <a href="openapi.json">openapi.json</a>';
  var html='';
  Object.keys(doc.paths).sort().forEach(function(path){
    var item=doc.paths[path];
    ['get','post','put','patch','delete'].forEach(function(m){
      var op=item[m]; if(!op) return;
      html+='<div class="op"><span class="m '+m+'">'+m.toUpperCase()+'</span> <code>'+esc(path)+'</code> <span class="tag">'+esc((op.tags||[]).join(', '))+'</span>';
      if(op.summary) html+='<div>'+esc(op.summary)+'</div>';
      if(op.parameters&&op.parameters.length){
        html+='<table>';
        op.parameters.forEach(function(p){html+='<tr><td><code>'+esc(p.name)+'</code></td><td>'+esc(p.in)+(p.required?', required':'')+'</td><td>'+esc(p.description||'')+'</td><td><code>'+esc(JSON.stringify(p.schema||{}))+'</code></td></tr>'});
        html+='</table>';
      }
      var body=op.requestBody&&op.requestBody.content&&op.requestBody.content['application/json'];
      if(body) html+='<pre>'+esc(JSON.stringify(body.schema,null,2))+'</pre>';
      html+='</div>';
    });
  });
  document.getElementById('ops').innerHTML=html;
}).catch(function(e){document.getElementById('desc').textContent='could not load openapi.json: '+e});
</script></body></html>
`;
