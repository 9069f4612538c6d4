// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Visualization;

/// <summary>The hand-written CSS and JavaScript of the interactive report (no libraries; everything inline).</summary>
internal static class HtmlReportPage
{
    public const string Css = """
body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{padding:.6em 1.2em;background:#234;color:#fff}header h1{margin:0;font-size:1.3em}
main{display:grid;grid-template-columns:minmax(18em,26em) 1fr;gap:1em;padding:1em}main.graph-model{grid-template-columns:minmax(18em,34em) 1fr}
section{background:#fff;border:1px solid #ddd;border-radius:4px;padding:.6em .8em;margin-bottom:1em}
h2{font-size:1.05em;margin:.2em 0 .5em}
table{border-collapse:collapse;font-size:.85em;width:100%}td,th{border-bottom:1px solid #eee;padding:.2em .4em;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}main.graph-model td.shape{white-space:nowrap}
tr.layer{cursor:pointer}tr.layer.off{color:#999;cursor:default}tr.layer.sel{background:#def}
button{font:inherit;margin:.1em;padding:.2em .6em;border:1px solid #99a;border-radius:3px;background:#f4f4f8;cursor:pointer}
button[aria-pressed=true]{background:#246;color:#fff}
#grid{display:flex;flex-wrap:wrap;gap:3px}
#grid canvas{width:56px;height:56px;image-rendering:pixelated;border:2px solid transparent;cursor:pointer}
.tile{display:flex;flex-direction:column;align-items:center;font-size:.7em;color:#555}#grid canvas.sel{border-color:#e60}#grid canvas.dead{outline:2px dashed #c00;outline-offset:-2px}
.stage{position:relative;display:inline-block;line-height:0}
.stage img{width:100%;height:100%;position:absolute;left:0;top:0}
.stage canvas{position:relative;image-rendering:pixelated;width:100%;height:100%}
#big-stage,#attr-stage{width:min(420px,90vw)}#cbar{width:16em;height:.9em;vertical-align:middle;border:1px solid #ccc}
.row{margin:.3em 0}.muted{color:#666;font-size:.9em}.note{background:#fff3cd;border:1px solid #e0c060;padding:.4em}
figure{display:inline-block;margin:.4em}figcaption{font-size:.85em;color:#555;max-width:44em}
figure img{image-rendering:pixelated;max-width:100%}
.bar{display:inline-block;height:.8em;background:#48c;vertical-align:middle}
.graph{overflow:auto;max-height:75vh;margin-top:.4em}details summary{cursor:pointer;font-size:.9em}
svg.model-graph g.node.on{cursor:pointer}svg.model-graph g.node.on:hover rect,svg.model-graph g.node:focus rect{stroke:#246;stroke-width:2}
svg.model-graph g.node:focus{outline:none}svg.model-graph g.node.sel rect,svg.model-graph g.node.on.sel:hover rect{stroke:#e60;stroke-width:3}svg.model-graph g.node.off text{fill:#999}
""";

    public const string Script = """
(function(){
'use strict';
var D=JSON.parse(document.getElementById('report-data').textContent);
function $(id){return document.getElementById(id);}
function el(tag,attrs,text){var e=document.createElement(tag);for(var k in attrs){e.setAttribute(k,attrs[k]);}if(text!==undefined){e.textContent=text;}return e;}
function bytes(b64){var s=atob(b64),a=new Uint8Array(s.length);for(var i=0;i<s.length;i++){a[i]=s.charCodeAt(i);}return a;}
function fmt(v){if(v===null||!isFinite(v)){return 'not finite';}var a=Math.abs(v);return (a!==0&&(a<1e-3||a>=1e5))?v.toExponential(3):v.toPrecision(4).replace(/\.?0+$/,'');}
var cmaps={};for(var c in D.cmaps){cmaps[c]=bytes(D.cmaps[c]);}
var acts=D.acts.map(function(l){l.bytes=l.images.map(function(im){return bytes(im.data);});return l;});
function topClass(){var p=D.images.length?D.images[0].probs:[],k=0;for(var i=1;i<p.length;i++){if(p[i]!==null&&(p[k]===null||p[i]>p[k]))k=i;}return k;}
var S={img:0,layer:acts.length&&D.images.length?0:-1,ch:0,norm:'channel',cmap:'viridis',opacity:0.7,hideDead:false,cls:topClass(),method:D.methods[0],attrOpacity:0.5};
var NF=[255,0,255];
function isDead(l,i,c){var im=l.images[i];return im.max[c]===im.min[c];}
function layerRange(l,i){var im=l.images[i],lo=Infinity,hi=-Infinity;for(var c=0;c<l.kept;c++){lo=Math.min(lo,im.min[c]);hi=Math.max(hi,im.max[c]);}return [lo,hi];}
function value(l,i,c,q){var im=l.images[i];if(q===255){return null;}return im.min[c]+q/254*(im.max[c]-im.min[c]);}
function paint(canvas,l,i,c,norm,cmap){
  var w=l.w,h=l.h,n=w*h,b=l.bytes[i],off=c*n,lut=cmaps[cmap];canvas.width=w;canvas.height=h;
  var ctx=canvas.getContext('2d'),img=ctx.createImageData(w,h),d=img.data,r=layerRange(l,i),lo=r[0],hi=r[1],im=l.images[i];
  for(var p=0;p<n;p++){var q=b[off+p],k;
    if(q===255){d[4*p]=NF[0];d[4*p+1]=NF[1];d[4*p+2]=NF[2];d[4*p+3]=255;continue;}
    if(norm==='channel'){k=Math.round(q/254*255);}else{var v=im.min[c]+q/254*(im.max[c]-im.min[c]);k=hi>lo?Math.round((v-lo)/(hi-lo)*255):0;}
    d[4*p]=lut[3*k];d[4*p+1]=lut[3*k+1];d[4*p+2]=lut[3*k+2];d[4*p+3]=255;}
  ctx.putImageData(img,0,0);}
function pressed(container,index){var bs=container.querySelectorAll('button');for(var i=0;i<bs.length;i++){bs[i].setAttribute('aria-pressed',String(i===index));}}
function renderImages(){var box=$('images');box.textContent='';D.images.forEach(function(im,i){var b=el('button',{type:'button','data-image':String(i)},im.name);b.onclick=function(){S.img=i;update();};box.appendChild(b);});}
function actIndex(name){var ai=-1;acts.forEach(function(a,j){if(a.name===name){ai=j;}});return ai;}
function select(ai){S.layer=ai;S.ch=0;update();}
function renderLayers(){var tb=$('layers');tb.textContent='';
  if(!D.inputLayer){var r0=el('tr',{class:'layer off'});r0.appendChild(el('td',{class:'n'},''));r0.appendChild(el('td',{class:'n'},''));r0.appendChild(el('td',{},'input'));r0.appendChild(el('td',{class:'shape'},D.inputShape));r0.appendChild(el('td',{class:'n'},'0'));if(!D.sequential){r0.appendChild(el('td',{},''));}tb.appendChild(r0);}
  D.layers.forEach(function(l){var ai=actIndex(l.name);
    var tr=el('tr',{class:'layer'+(ai<0?' off':''),'data-layer':l.name});
    tr.appendChild(el('td',{class:'n'},String(l.index)));tr.appendChild(el('td',{class:'n'},String(l.index+1)));
    tr.appendChild(el('td',{},l.name+' ('+l.kind+')'));tr.appendChild(el('td',{class:'shape'},l.shape));tr.appendChild(el('td',{class:'n'},l.params.toLocaleString('en-US')));
    if(!D.sequential){tr.appendChild(el('td',{class:'inputs'},l.inputs.join(', ')));}
    if(ai>=0&&D.images.length){tr.tabIndex=0;tr.onclick=function(){select(ai);};tr.onkeydown=function(e){if(e.key==='Enter'){select(ai);}};}
    tb.appendChild(tr);});}
function wireGraph(){var gs=document.querySelectorAll('svg.model-graph g.node[data-layer]');
  for(var i=0;i<gs.length;i++){(function(g){var ai=actIndex(g.getAttribute('data-layer'));
    if(ai>=0&&D.images.length){g.classList.add('on');g.setAttribute('tabindex','0');g.setAttribute('role','button');
      g.addEventListener('click',function(){select(ai);});g.addEventListener('keydown',function(e){if(e.key==='Enter'||e.key===' '){select(ai);e.preventDefault();}});}
    else if(D.images.length){g.classList.add('off');}})(gs[i]);}}
function visibleChannels(l){var r=[];for(var c=0;c<l.kept;c++){if(!(S.hideDead&&isDead(l,S.img,c))){r.push(c);}}return r;}
function renderGrid(){var g=$('grid');g.textContent='';if(S.layer<0){return;}var l=acts[S.layer],dead=0;
  for(var c=0;c<l.kept;c++){if(isDead(l,S.img,c)){dead++;}}
  visibleChannels(l).forEach(function(c){var cv=el('canvas',{role:'img','data-channel':String(c),title:'channel '+c,
      'aria-label':'Channel '+c+' of '+l.name+' for image '+D.images[S.img].name+(isDead(l,S.img,c)?' (dead: constant)':'')});
    if(isDead(l,S.img,c)){cv.classList.add('dead');}if(c===S.ch){cv.classList.add('sel');}
    paint(cv,l,S.img,c,S.norm,S.cmap);cv.onclick=function(){S.ch=c;update();};var t=el('div',{class:'tile'});t.appendChild(cv);t.appendChild(el('span',{'aria-hidden':'true'},String(c)));g.appendChild(t);});
  $('grid-title').textContent=l.name+' '+D.layers.filter(function(x){return x.name===l.name;})[0].shape+': '+l.kept+' of '+l.c+' channels embedded, '+dead+' dead (constant, dashed red)'+(l.stride>1?'; every '+l.stride+'th pixel kept':'');}
function renderBig(){if(S.layer<0||!D.images.length){return;}var l=acts[S.layer],im=D.images[S.img],c=S.ch,cv=$('big-canvas');
  $('big-photo').src=im.photo;$('big-photo').alt='Input photo '+im.name;
  paint(cv,l,S.img,c,S.norm,S.cmap);cv.style.opacity=String(S.opacity);
  cv.setAttribute('aria-label','Channel '+c+' of '+l.name+' over the photo '+im.name);
  $('big-stage').style.aspectRatio=im.pw+' / '+im.ph;
  $('value').textContent='Move the mouse over the channel to read its value.';$('value').removeAttribute('data-value');
  var r=layerRange(l,S.img);
  var lo=S.norm==='channel'?l.images[S.img].min[c]:r[0],hi=S.norm==='channel'?l.images[S.img].max[c]:r[1],bar=$('cbar'),lut=cmaps[S.cmap];bar.width=256;bar.height=1;
  var bc=bar.getContext('2d'),bi=bc.createImageData(256,1);for(var k=0;k<256;k++){bi.data[4*k]=lut[3*k];bi.data[4*k+1]=lut[3*k+1];bi.data[4*k+2]=lut[3*k+2];bi.data[4*k+3]=255;}bc.putImageData(bi,0,0);
  $('cbar-lo').textContent=fmt(lo);$('cbar-hi').textContent=fmt(hi);bar.setAttribute('aria-label','Colour bar of '+S.cmap+' from '+fmt(lo)+' to '+fmt(hi));
  $('range').textContent='Channel '+c+' of '+l.name+' on '+im.name+': values '+fmt(l.images[S.img].min[c])+' to '+fmt(l.images[S.img].max[c])+
    (isDead(l,S.img,c)?' (dead: constant)':'')+'; layer range '+fmt(r[0])+' to '+fmt(r[1])+'. Colour: '+S.cmap+', '+(S.norm==='channel'?'stretched per channel':'one scale for the layer')+'; magenta = not finite.';}
function renderAttr(){var im=D.images[S.img],box=$('classes');box.textContent='';if(!im){$('methods').textContent='';$('attr-caption').textContent='No image was given: pass HtmlReportOptions.Images to see predictions and attributions.';return;}
  D.classes.forEach(function(name,k){var p=im.probs[k];var b=el('button',{type:'button','data-class':String(k)});
    b.appendChild(document.createTextNode(name+' '+(p===null?'not finite':p.toFixed(4))+' '));var bar=el('span',{class:'bar'});bar.style.width=(p===null?0:Math.max(0,Math.min(1,p))*4)+'em';b.appendChild(bar);
    b.onclick=function(){S.cls=k;update();};box.appendChild(b);});
  pressed(box,S.cls);
  var mb=$('methods');mb.textContent='';D.methods.forEach(function(m,i){var b=el('button',{type:'button','data-method':m},m);b.onclick=function(){S.method=m;update();};mb.appendChild(b);});
  pressed(mb,D.methods.indexOf(S.method));
  $('attr-photo').src=im.photo;$('attr-photo').alt='Input photo '+im.name;$('attr-stage').style.aspectRatio=im.pw+' / '+im.ph;
  var maps=im.attr[S.method],cv=$('attr-canvas');
  if(!maps){$('attr-caption').textContent='No attribution: the model has no convolution layer or no methods were chosen.';return;}
  var m=maps[S.cls],b=bytes(m.data),n=b.length,w=D.attrW,h=D.attrH;
  cv.width=w;cv.height=h;var ctx=cv.getContext('2d'),img=ctx.createImageData(w,h),d=img.data,lut=cmaps.jet;
  for(var p=0;p<n;p++){var q=b[p];if(q===255){d[4*p]=NF[0];d[4*p+1]=NF[1];d[4*p+2]=NF[2];}else{var v=m.min+q/254*(m.max-m.min),k=Math.max(0,Math.min(255,Math.round(v*255)));d[4*p]=lut[3*k];d[4*p+1]=lut[3*k+1];d[4*p+2]=lut[3*k+2];}d[4*p+3]=255;}
  ctx.putImageData(img,0,0);cv.style.opacity=String(S.attrOpacity);
  cv.setAttribute('aria-label',S.method+' map for class '+D.classes[S.cls]+' on '+im.name);
  $('attr-caption').textContent=S.method+' for '+D.classes[S.cls]+' ('+S.cls+') on '+im.name+', predicted probability '+(im.probs[S.cls]===null?'not finite':im.probs[S.cls].toFixed(4))+
    (S.method.indexOf('GradCam')===0?', layer '+D.camLayer:'')+'; jet colours from 0 (blue) to 1 (red), values here '+fmt(m.min)+' to '+fmt(m.max)+(m.max<=0?': the map is zero everywhere (no evidence for this class in this layer)':'')+'.';}
function update(){pressed($('images'),S.img);
  var rows=document.querySelectorAll('tr.layer,svg.model-graph g.node[data-layer]');for(var i=0;i<rows.length;i++){rows[i].classList.toggle('sel',S.layer>=0&&rows[i].getAttribute('data-layer')===acts[S.layer].name);}
  renderGrid();renderBig();renderAttr();}
function move(delta){if(S.layer<0){return;}var v=visibleChannels(acts[S.layer]);if(!v.length){return;}var i=v.indexOf(S.ch);i=i<0?0:Math.max(0,Math.min(v.length-1,i+delta));S.ch=v[i];update();}
document.addEventListener('keydown',function(e){var t=e.target&&e.target.tagName;if(t==='SELECT'||t==='INPUT'){return;}
  if(e.key==='ArrowRight'){move(1);e.preventDefault();}else if(e.key==='ArrowLeft'){move(-1);e.preventDefault();}
  else if(e.key==='ArrowDown'){move(8);e.preventDefault();}else if(e.key==='ArrowUp'){move(-8);e.preventDefault();}});
$('big-canvas').addEventListener('mousemove',function(e){if(S.layer<0){return;}var l=acts[S.layer],r=this.getBoundingClientRect();
  var x=Math.min(l.w-1,Math.max(0,Math.floor((e.clientX-r.left)/r.width*l.w))),y=Math.min(l.h-1,Math.max(0,Math.floor((e.clientY-r.top)/r.height*l.h)));
  var q=l.bytes[S.img][S.ch*l.w*l.h+y*l.w+x];var v=value(l,S.img,S.ch,q);
  $('value').textContent='value '+fmt(v)+' at row '+(y*l.stride)+', column '+(x*l.stride);$('value').setAttribute('data-value',v===null?'NaN':String(v));});
$('opacity').oninput=function(){S.opacity=Number(this.value);if($('big-canvas')){$('big-canvas').style.opacity=this.value;}};
$('attr-opacity').oninput=function(){S.attrOpacity=Number(this.value);if($('attr-canvas')){$('attr-canvas').style.opacity=this.value;}};
$('norm').onchange=function(){S.norm=this.value;update();};
$('cmap').onchange=function(){S.cmap=this.value;update();};
$('hide-dead').onchange=function(){S.hideDead=this.checked;var l=acts[S.layer];if(l&&S.hideDead&&isDead(l,S.img,S.ch)){var v=visibleChannels(l);if(v.length){S.ch=v[0];}}update();};
Object.keys(D.cmaps).forEach(function(c){var o=el('option',{value:c},c);if(c===S.cmap){o.selected=true;}$('cmap').appendChild(o);});
D.notes.forEach(function(n){$('notes').appendChild(el('p',{class:'note'},n));});
var ex=$('extras');D.filters.concat(D.patterns).forEach(function(f){var fig=el('figure',{});fig.appendChild(el('img',{src:f.src,alt:f.alt}));fig.appendChild(el('figcaption',{},f.caption));ex.appendChild(fig);});
if(!D.filters.length&&!D.patterns.length){ex.appendChild(el('p',{class:'muted'},'No filters or patterns were computed (set HtmlReportOptions.PatternLayers for activation-maximisation patterns).'));}
if(!D.images.length){['big-stage','attr-stage'].forEach(function(id){$(id).remove();});}else{renderImages();}
renderLayers();wireGraph();update();
document.body.setAttribute('data-ready','true');
})();
""";
}
